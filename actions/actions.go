// Package actions implements the custom_action kinds of tb_api rows and
// registers them with the engine by base code (1 email, 2 SMS, 4 restart,
// 6 reboot, 7 command, 8 SQL; a failure action is the same kind + 50).
package actions

import (
	"context"
	"fmt"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// Kinds returns the action kinds this build provides, by base code.
func Kinds() map[int]engine.ActionKind {
	return map[int]engine.ActionKind{8: sqlKind{}}
}

// sqlKind runs custom_action_body as SQL with the customsql keywords bound
// as parameters, in its own transaction.
type sqlKind struct{}

func (sqlKind) Compile(body string, d schema.Dialect) (engine.Action, error) {
	t, err := sqltemplate.Compile(body, d)
	if err != nil {
		return nil, err
	}
	return sqlAction{t}, nil
}

type sqlAction struct{ t *sqltemplate.Template }

func (a sqlAction) Run(ctx context.Context, c *engine.Call, _ format.Result) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(c.Config.SQLTimeout)*time.Second)
	defer cancel()
	tx, err := c.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sql action: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, a.t.SQL(), c.BindArgs(a.t)...); err != nil {
		return fmt.Errorf("sql action: %w", err)
	}
	return tx.Commit()
}
