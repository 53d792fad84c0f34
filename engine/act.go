package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine/format"
)

// Running an entry's custom_action: in the request path for outbox
// messages (TxAction), on the async pool for the others.

// TxAction is an Action that writes to the database (an outbox message).
// The engine runs it before the answer is sent, so a crash after the answer
// cannot lose it, and inside the transaction of the entry's own customsql
// write when there is one, so that the write and the message commit
// together or not at all.
type TxAction interface {
	Action
	RunTx(ctx context.Context, tx *sqlx.Tx, c *Call, res format.Result) error
}

// RunAction runs a custom_action now: a TxAction in its own transaction,
// any other Action as it is.
func (e *Engine) RunAction(ctx context.Context, a Action, c *Call, res format.Result) error {
	ta, ok := a.(TxAction)
	if !ok {
		return a.Run(ctx, c, res)
	}
	tx, err := e.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := ta.RunTx(ctx, tx, c, res); err != nil {
		return err
	}
	return tx.Commit()
}

// actTx runs a TxAction in the request path, detached from the client's
// cancellation and bounded by sqltimeout.
func (e *Engine) actTx(ctx context.Context, c *Call, a Action, res format.Result) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(c.Config.SQLTimeout)*time.Second)
	defer cancel()
	if err := e.RunAction(ctx, a, c, res); err != nil {
		e.log.Error("custom_action failed", "entry", c.Entry.Name, "request", c.Req.ID, "err", err)
		e.status.asyncFailed(c.Entry.Name, "custom_action", err)
	}
}

// actSuccess runs the success action of an answer that is OK. A TxAction
// (an email or SMS written to the outbox) runs before the answer is sent,
// and its failure (a recipient that does not render, a bad message, the
// outbox unreachable) is returned: the request then fails, as it does when
// the action joins a customsql write. Any other action goes to the async
// pool (act).
func (e *Engine) actSuccess(c *Call, a Action, res format.Result) error {
	if _, ok := a.(TxAction); !ok {
		e.act(c, a, res)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(max(c.Config.SQLTimeout, 1))*time.Second)
	defer cancel()
	if err := e.RunAction(ctx, a, c, res); err != nil {
		e.log.Error("custom_action failed", "entry", c.Entry.Name, "request", c.Req.ID, "err", err)
		return err
	}
	return nil
}

// actionFailure is the answer of a request whose success action failed:
// the entry's own work is done (a built-in or a SELECT wrote nothing the
// action could roll back), but the message was not written.
func (e *Engine) actionFailure(ctx context.Context, c *Call, err error) format.Result {
	if errors.Is(err, ErrInvalidMessage) || errors.Is(err, ErrNotConfigured) {
		return Failf(KindInvalid, "custom_action: %s", err.Error())
	}
	return e.failure(ctx, c, fmt.Errorf("custom_action: %w", err))
}

// execJoined runs a customsql write. When the entry's success action is a
// TxAction it runs in the same transaction, after the write; an action that
// fails rolls the write back.
func (e *Engine) execJoined(ctx context.Context, c *Call, ta TxAction, query string, args []any) (int64, error) {
	if ta == nil {
		res, err := c.CustomDB().ExecContext(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		return n, nil
	}
	tx, err := c.CustomDB().BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if err := ta.RunTx(ctx, tx, c, OK(fmt.Sprintf("%d rows affected", n))); err != nil {
		return 0, fmt.Errorf("custom_action: %w", err)
	}
	return n, tx.Commit()
}

// act runs a custom_action: a TxAction (outbox message) before the answer
// is sent, any other on the async pool; failures are logged.
func (e *Engine) act(c *Call, a Action, res format.Result) {
	if a == nil {
		return
	}
	if !res.OK && !e.failLimits.allow(c.Config, c.Entry.Name, c.Req.RemoteIP, time.Now()) {
		e.log.Warn("failure action rate-limited", "entry", c.Entry.Name, "ip", c.Req.RemoteIP.String())
		return
	}
	if c.Entry.restUser && c.User != nil && c.User.partial { // failed before authorize completed it
		if err := e.users.complete(context.Background(), c.User); err != nil {
			e.log.Error("custom_action: load user", "entry", c.Entry.Name, "err", err)
		}
	}
	if _, ok := a.(TxAction); ok {
		e.actTx(context.Background(), c, a, res)
		return
	}
	err := e.pool.submit(func(ctx context.Context) {
		if err := a.Run(ctx, c, res); err != nil {
			e.log.Error("custom_action failed", "entry", c.Entry.Name, "request", c.Req.ID, "err", err)
			e.status.asyncFailed(c.Entry.Name, "custom_action", err)
		}
	})
	if err != nil {
		e.log.Error("custom_action not queued", "entry", c.Entry.Name, "err", err)
	}
}
