package actions

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// sqlKind runs custom_action_body as SQL with the customsql keywords bound
// as parameters, in its own transaction.
type sqlKind struct{}

func (sqlKind) Compile(body string, d schema.Dialect, _ *engine.Config) (engine.Action, error) {
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
	tx, err := c.DB().BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sql action: begin: %w", err)
	}
	defer tx.Rollback()
	if err := a.runInTx(ctx, tx, c, format.Result{}); err != nil {
		return err
	}
	return tx.Commit()
}

// runInTx runs the statement in tx: a dead letter's failure action commits
// together with the dead letter itself.
func (a sqlAction) runInTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, _ format.Result) error {
	if _, err := tx.ExecContext(ctx, a.t.SQL(), c.BindArgs(a.t)...); err != nil {
		return fmt.Errorf("sql action: %w", err)
	}
	return nil
}

// inTxRunner is an action that can run inside a caller's transaction. It is
// deliberately not engine.TxAction for SQL: in the request path a SQL action
// keeps its own transaction, as the reference says.
type inTxRunner interface {
	runInTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, res format.Result) error
}
