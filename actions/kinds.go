package actions

// The kinds that need no outbox: SQL (8), restart (4) and reboot (6).

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// sqlKind runs custom_action_body as SQL with the customsql keywords bound
// as parameters, and {result}, {clientip} and {now} too
// (engine.Call.BindActionArgs), in its own transaction.
type sqlKind struct{}

func (sqlKind) Compile(body string, d schema.Dialect, cfg *engine.Config) (engine.Action, error) {
	body, err := engine.TranslateSQL(body, d, cfg)
	if err != nil {
		return nil, err
	}
	t, err := sqltemplate.Compile(body, d)
	if err != nil {
		return nil, err
	}
	return sqlAction{t}, nil
}

type sqlAction struct{ t *sqltemplate.Template }

func (a sqlAction) Run(ctx context.Context, c *engine.Call, res format.Result) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(c.Config.SQLTimeout)*time.Second)
	defer cancel()
	tx, err := c.CustomDB().BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sql action: begin: %w", err)
	}
	defer tx.Rollback()
	if err := a.runInTx(ctx, tx, c, res); err != nil {
		return err
	}
	return tx.Commit()
}

// runInTx runs the statement in tx: a dead letter's failure action commits
// together with the dead letter itself.
func (a sqlAction) runInTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, res format.Result) error {
	at := now()
	for _, st := range a.t.Statements() { // each statement binds its own arguments (issue #10)
		if _, err := tx.ExecContext(ctx, st.SQL(), c.BindActionArgs(st, res, at)...); err != nil {
			return fmt.Errorf("sql action: %w", err)
		}
	}
	return nil
}

// inTxRunner is an action that can run inside a caller's transaction. It is
// deliberately not engine.TxAction for SQL: in the request path a SQL action
// keeps its own transaction, as the reference says.
type inTxRunner interface {
	runInTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, res format.Result) error
}

// restartKind compiles custom_action 4 and 54: a graceful restart of this
// server (see Deps.Restart and restartmode).
type restartKind struct{ a *Actions }

func (k restartKind) Compile(body string, d schema.Dialect, _ *engine.Config) (engine.Action, error) {
	if k.a.deps.Restart == nil {
		return nil, errors.New("restart is not available in this process")
	}
	t, err := parseText(body, d)
	if err != nil {
		return nil, err
	}
	return &restartAction{a: k.a, reason: t}, nil
}

// restartAction asks the server to restart; the body, rendered, is the
// reason written to the log.
type restartAction struct {
	a      *Actions
	reason text
}

func (x *restartAction) Run(ctx context.Context, c *engine.Call, res format.Result) error {
	env := &renderEnv{ctx: ctx, c: c, res: res, q: c.CustomDB(), now: now()}
	reason, err := x.reason.render(env, oneLine)
	if err != nil || strings.TrimSpace(reason) == "" {
		reason = "custom_action of " + c.Entry.Name
	}
	x.a.log.Warn("restart requested by custom_action", "entry", c.Entry.Name, "reason", reason)
	x.a.deps.Restart(reason)
	return nil
}

// rebootKind compiles custom_action 6 and 56: the OS command of
// rebootcommand, off while that option is empty.
type rebootKind struct{ a *Actions }

func (k rebootKind) Compile(_ string, _ schema.Dialect, cfg *engine.Config) (engine.Action, error) {
	line := cfg.Get("rebootcommand")
	if strings.TrimSpace(line) == "" {
		return nil, errors.New("reboot is off: set rebootcommand (for example /sbin/reboot) in global config")
	}
	argv, err := SplitArgs(line)
	if err != nil {
		return nil, fmt.Errorf("rebootcommand: %w", err)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("rebootcommand: program %q not found: %v", argv[0], err)
	}
	return &rebootAction{a: k.a, line: line, path: path, args: argv[1:]}, nil
}

// rebootAction runs the reboot command compiled from rebootcommand.
type rebootAction struct {
	a    *Actions
	line string
	path string
	args []string
}

func (x *rebootAction) Run(ctx context.Context, c *engine.Call, _ format.Result) error {
	if c.Config.Get("rebootcommand") != x.line {
		return errors.New("reboot not run: rebootcommand changed since apireload (apireload to use the new one)")
	}
	x.a.log.Warn("reboot requested by custom_action", "entry", c.Entry.Name, "command", x.path)
	return runProgram(ctx, x.a, c.Config, "reboot", x.path, x.args)
}
