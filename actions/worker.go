package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
)

// batch is how many messages a worker claims at a time: small, so that a
// crash leaves few leases to expire.
const batch = 2

// leaseMargin is added to a delivery's timeout to make its lease: a lease
// outlives the attempt, so no other worker takes a message being sent.
const leaseMargin = 5 * time.Second

// deliveryError is a failed attempt; permanent ones are not retried.
type deliveryError struct {
	permanent bool
	err       error
}

func (e *deliveryError) Error() string { return e.err.Error() }
func (e *deliveryError) Unwrap() error { return e.err }

func permanent(f string, args ...any) error {
	return &deliveryError{permanent: true, err: fmt.Errorf(f, args...)}
}

func transient(f string, args ...any) error {
	return &deliveryError{err: fmt.Errorf(f, args...)}
}

func isPermanent(err error) bool {
	var de *deliveryError
	return errors.As(err, &de) && de.permanent
}

// deliveryTimeout is how long one attempt of a kind may take.
func deliveryTimeout(cfg *engine.Config, kind string) time.Duration {
	if kind == "sms" {
		return seconds(cfg, "smsgatewaytimeout")
	}
	return seconds(cfg, "smtptimeout")
}

// deliver makes one attempt.
func (a *Actions) deliver(ctx context.Context, cfg *engine.Config, m *message) (string, error) {
	switch m.Kind {
	case "email":
		return a.sendEmail(ctx, cfg, m)
	case "sms":
		return a.sendSMS(ctx, cfg, m)
	}
	return "", permanent("unknown kind %q", m.Kind)
}

// worker delivers due messages until ctx ends.
func (a *Actions) worker(ctx context.Context, n int) {
	defer a.wg.Done()
	e := a.engine()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		did, err := a.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			e.Logger().Error("outbox", "worker", n, "err", err)
		}
		if did > 0 {
			continue
		}
		timer.Reset(millis(e.Config(), "outboxpollms", 10))
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		case <-timer.C:
		}
	}
}

// RunOnce claims the messages due now (up to a batch) and makes one attempt
// at each; it reports how many it attempted. Tests and the workers call it.
func (a *Actions) RunOnce(ctx context.Context) (int, error) {
	e := a.engine()
	if e == nil {
		return 0, errors.New("outbox: not started")
	}
	if ctx.Err() != nil {
		return 0, nil
	}
	cfg := e.Config()
	msgs, err := a.claim(ctx, e.DB(), cfg, batch)
	for _, m := range msgs {
		// Claimed messages are attempted even while stopping: each
		// attempt is bounded by its timeout, and a lease left behind
		// would delay the message until it expires.
		a.attempt(context.WithoutCancel(ctx), e, cfg, m)
	}
	return len(msgs), err
}

// attempt delivers one claimed message and records the outcome.
func (a *Actions) attempt(ctx context.Context, e *engine.Engine, cfg *engine.Config, m *message) {
	db, d := e.DB(), e.DB().Dialect
	dctx, cancel := context.WithTimeout(ctx, deliveryTimeout(cfg, m.Kind))
	start := time.Now()
	answer, err := a.deliver(dctx, cfg, m)
	cancel()
	log := e.Logger().With("outbox", m.ID, "kind", m.Kind, "attempt", m.Attempts, "took", time.Since(start).Round(time.Millisecond))
	if err == nil {
		ok, serr := markSent(ctx, db, d, m, a.node, answer)
		switch {
		case serr != nil:
			log.Error("outbox: delivered but not recorded; it may be sent again with the same key", "err", serr)
		case !ok:
			log.Warn("outbox: delivered after its lease expired; another worker may send it again with the same key")
		default:
			log.Info("outbox: delivered")
		}
		return
	}
	maxAttempts := max(cfg.Int("outboxmaxattempts"), 1)
	if !isPermanent(err) && m.Attempts < maxAttempts {
		wait := backoff(cfg, m.Attempts)
		wait += time.Duration(rand.Int64N(int64(wait)/5 + 1)) // jitter: nodes do not retry in step
		log.Warn("outbox: attempt failed, will retry", "err", err, "in", wait.Round(time.Millisecond))
		if rerr := markRetry(ctx, db, d, m, a.node, err.Error(), now().Add(wait)); rerr != nil {
			log.Error("outbox", "err", rerr)
		}
		return
	}
	log.Error("outbox: dead letter", "err", err, "permanent", isPermanent(err))
	if derr := a.deadLetter(ctx, e, cfg, m, err.Error()); derr != nil {
		log.Error("outbox", "err", derr)
	}
}

// deadLetter marks m dead and fires the failure action (5x) of the entry
// that sent it. An action that can join a transaction (email, SMS, SQL)
// commits together with the dead letter; others run right after.
func (a *Actions) deadLetter(ctx context.Context, e *engine.Engine, cfg *engine.Config, m *message, lastErr string) error {
	db, d := e.DB(), e.DB().Dialect
	var act engine.Action
	var call *engine.Call
	res := format.Result{Kind: format.KindUnavailable, Text: fmt.Sprintf("ERROR: %s not delivered after %d attempt(s): %s", m.Kind, m.Attempts, clipAnswer(lastErr))}
	if m.OnFailure == 1 {
		if entry, ok := e.Table().Lookup(m.Entry); ok && entry.OnFailure != nil {
			act, call = entry.OnFailure, a.rebuildCall(ctx, e, cfg, entry, m, lastErr)
		}
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: dead letter %d: %w", m.ID, err)
	}
	defer tx.Rollback()
	ok, err := markDead(ctx, tx, d, m, a.node, lastErr)
	if err != nil || !ok {
		return err
	}
	if r, joins := act.(inTxRunner); joins {
		if err := r.runInTx(ctx, tx, call, res); err != nil {
			// Keep the dead letter even when its action cannot run.
			tx.Rollback()
			e.Logger().Error("outbox: failure action of a dead letter failed", "outbox", m.ID, "entry", m.Entry, "err", err)
			_, err = markDead(ctx, db, d, m, a.node, lastErr)
			return err
		}
		act = nil
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: dead letter %d: %w", m.ID, err)
	}
	if act != nil {
		if err := e.RunAction(ctx, act, call, res); err != nil {
			e.Logger().Error("outbox: failure action of a dead letter failed", "outbox", m.ID, "entry", m.Entry, "err", err)
		}
	}
	return nil
}

// rebuildCall recreates the request of a message for its failure action:
// the saved parameters plus error (the last error) and outboxid, and the
// user as it is now.
func (a *Actions) rebuildCall(ctx context.Context, e *engine.Engine, cfg *engine.Config, entry *engine.Entry, m *message, lastErr string) *engine.Call {
	params := engine.Params{}
	json.Unmarshal([]byte(m.Params), &params)
	params["error"] = clipAnswer(lastErr)
	params["outboxid"] = fmt.Sprint(m.ID)
	c := &engine.Call{Engine: e, Entry: entry, Config: cfg,
		Req: &engine.Request{Entry: entry.Name, Params: params, Transport: "outbox"}}
	if m.UserID.Valid {
		u, err := e.UserByID(ctx, m.UserID.Int64)
		if err != nil {
			e.Logger().Error("outbox: load user of a dead letter", "outbox", m.ID, "err", err)
		}
		c.User, c.Admin = u, u.IsAdmin()
	}
	return c
}
