package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
)

// runStatements serves a customsql written as several statements (issue
// #10, item 6): each statement is executed on its own with its own bound
// arguments, all in one transaction, on every database. Sent as one text,
// SQLite (modernc) would bind every statement from the first argument, so
// that "UPDATE ... WHERE id=[USERID]; UPDATE ... WHERE id=[USERID]" wrote a
// row the caller named, and PostgreSQL refuses such a text.
//
// It runs synchronously when the row starts with '*' or a statement
// returns rows, otherwise on the asynchronous pool like one statement. The
// answer is the rows of the last statement that returns rows, else "OK: N
// rows affected" summed over the statements. An outbox success action
// joins the transaction.
func (e *Engine) runStatements(ctx context.Context, c *Call, t *sqltemplate.Template) (format.Result, error) {
	stmts := t.Statements()
	args := make([][]any, len(stmts))
	rows := false
	for i, s := range stmts {
		args[i] = c.BindArgs(s)
		rows = rows || s.ReturnsRows()
	}
	ta, _ := c.Entry.OnSuccess.(TxAction)
	timeout := time.Duration(c.Config.SQLTimeout) * time.Second
	if !t.Sync() && !rows {
		entry := c.Entry.Name
		c.actedInTx = ta != nil
		err := e.pool.submit(func(bg context.Context) {
			ctx, cancel := context.WithTimeout(bg, timeout)
			defer cancel()
			defer e.TrackQuery(entry, t.SQL())()
			if _, err := e.execStatements(ctx, c, ta, stmts, args); err != nil {
				e.log.Error("async customsql failed", "entry", entry, "request", c.Req.ID, "err", err)
				e.status.asyncFailed(entry, "customsql", err)
			}
		})
		if err != nil {
			return Failf(KindBusy, "server busy: %v, try again later", err), nil
		}
		return OK("queued"), nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer e.TrackQuery(c.Entry.Name, t.SQL())()
	res, err := e.execStatements(ctx, c, ta, stmts, args)
	if err != nil {
		return e.sqlError(ctx, c, err)
	}
	c.actedInTx = ta != nil
	return res, nil
}

// execStatements runs stmts with their args in one transaction, then ta.
func (e *Engine) execStatements(ctx context.Context, c *Call, ta TxAction, stmts []*sqltemplate.Template, args [][]any) (format.Result, error) {
	tx, err := c.CustomDB().BeginTxx(ctx, nil)
	if err != nil {
		return format.Result{}, err
	}
	defer tx.Rollback()
	var answer *format.Result
	var affected int64
	for i, s := range stmts {
		if s.ReturnsRows() {
			r, err := scanAnswer(ctx, tx, s.SQL(), args[i])
			if err != nil {
				return format.Result{}, err
			}
			answer = &r
			continue
		}
		res, err := tx.ExecContext(ctx, s.SQL(), args[i]...)
		if err != nil {
			return format.Result{}, err
		}
		n, _ := res.RowsAffected()
		affected += n
	}
	out := OK(fmt.Sprintf("%d rows affected", affected))
	if answer != nil {
		out = *answer
	}
	if ta != nil {
		if err := ta.RunTx(ctx, tx, c, out); err != nil {
			return format.Result{}, fmt.Errorf("custom_action: %w", err)
		}
	}
	return out, tx.Commit()
}

// scanAnswer runs a statement that returns rows in tx and answers it as
// queryRows does (answerRows).
func scanAnswer(ctx context.Context, tx *sqlx.Tx, query string, args []any) (format.Result, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return format.Result{}, err
	}
	defer rows.Close()
	return answerRows(rows)
}
