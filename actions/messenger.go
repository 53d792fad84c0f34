package actions

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
)

// Size limits of one message.
const (
	maxEmailBody  = 1 << 20
	maxSMSRunes   = 1600 // ten concatenated segments
	maxSubjectLen = 500
)

// Enqueue stores m in the outbox in its own transaction (engine.Messenger).
// An SMS to several numbers becomes one row per number; the first id is
// returned.
func (a *Actions) Enqueue(ctx context.Context, c *engine.Call, m engine.Message) (int64, error) {
	m, err := normalize(c.Config, m)
	if err != nil {
		return 0, err
	}
	tx, err := c.DB().BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback()
	id, err := a.enqueueTx(ctx, tx, c, m, true)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("outbox: commit: %w", err)
	}
	a.notify()
	return id, nil
}

// enqueueTx inserts a normalized message in tx and wakes the workers. An
// SMS gets one row per number so that each is retried on its own.
func (a *Actions) enqueueTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, m engine.Message, onFailure bool) (int64, error) {
	d := c.DB().Dialect
	var first int64
	parts := []engine.Message{m}
	if m.Kind == "sms" && len(m.To) > 1 {
		parts = parts[:0]
		for _, to := range m.To {
			p := m
			p.To = []string{to}
			parts = append(parts, p)
		}
	}
	for i, p := range parts {
		id, _, err := a.insert(ctx, tx, d, c, p, onFailure, false, 0)
		if err != nil {
			return 0, err
		}
		if i == 0 {
			first = id
		}
	}
	// The caller commits right after: wake a worker now and once more
	// shortly, the poll (outboxpollms) catches anything later.
	a.notify()
	time.AfterFunc(20*time.Millisecond, a.notify)
	return first, nil
}

// SendNow stores m already leased by this node and delivers it at once,
// waiting at most wait (engine.Messenger). A permanent refusal makes it a
// dead letter without firing the failure action (the failed request fires
// it); a message not accepted in time is retried by the workers.
func (a *Actions) SendNow(ctx context.Context, c *engine.Call, m engine.Message, wait time.Duration) (engine.Delivery, error) {
	m, err := normalize(c.Config, m)
	if err != nil {
		return engine.Delivery{}, err
	}
	if len(m.To) != 1 {
		return engine.Delivery{}, fmt.Errorf("%w: a synchronous send takes one recipient", engine.ErrInvalidMessage)
	}
	db, d := c.DB(), c.DB().Dialect
	timeout := min(wait, deliveryTimeout(c.Config, m.Kind))
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return engine.Delivery{}, fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback()
	id, _, err := a.insert(ctx, tx, d, c, m, true, true, timeout+leaseMargin)
	if err != nil {
		return engine.Delivery{}, err
	}
	if err := tx.Commit(); err != nil {
		return engine.Delivery{}, fmt.Errorf("outbox: commit: %w", err)
	}
	ctx = context.WithoutCancel(ctx) // the outcome must be recorded even if the client left
	msg, err := loadMessage(ctx, db, d, id)
	if err != nil {
		return engine.Delivery{ID: id}, err
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	answer, derr := a.deliver(dctx, c.Config, msg)
	cancel()
	out := engine.Delivery{ID: id, Answer: answer}
	switch {
	case derr == nil:
		if _, err := markSent(ctx, db, d, msg, a.node, answer); err != nil {
			return out, err
		}
		out.Sent = true
	case isPermanent(derr):
		out.Permanent, out.Answer = true, derr.Error()
		if _, err := markDead(ctx, db, d, msg, a.node, derr.Error()); err != nil {
			return out, err
		}
	default:
		out.Answer = derr.Error()
		if err := markRetry(ctx, db, d, msg, a.node, derr.Error(), now().Add(backoff(c.Config, 1))); err != nil {
			return out, err
		}
	}
	return out, nil
}

// normalize checks a message against the config and canonicalizes its
// addresses; errors wrap engine.ErrInvalidMessage or engine.ErrNotConfigured.
func normalize(cfg *engine.Config, m engine.Message) (engine.Message, error) {
	var err error
	if len(m.To) == 0 {
		return m, fmt.Errorf("%w: no recipient", engine.ErrInvalidMessage)
	}
	to := make([]string, 0, len(m.To))
	switch m.Kind {
	case "email":
		if cfg.Get("smtphost") == "" || cfg.Get("smtpfrom") == "" {
			return m, fmt.Errorf("%w: email: set smtphost and smtpfrom in global config", engine.ErrNotConfigured)
		}
		for _, s := range m.To {
			e, err := parseEmail(s)
			if err != nil {
				return m, err
			}
			to = append(to, e)
		}
		if m.From != "" {
			e, err := parseEmail(m.From)
			if err != nil {
				return m, fmt.Errorf("from: %w", err)
			}
			m.From = e
		}
		if len(m.Body) > maxEmailBody {
			return m, fmt.Errorf("%w: body longer than %d bytes", engine.ErrInvalidMessage, maxEmailBody)
		}
	case "sms":
		if cfg.Get("smsgatewayurl") == "" {
			return m, fmt.Errorf("%w: SMS: set smsgatewayurl in global config", engine.ErrNotConfigured)
		}
		for _, s := range m.To {
			n, err := parsePhone(s)
			if err != nil {
				return m, err
			}
			to = append(to, n)
		}
		if m.From == "" {
			m.From = cfg.Get("smsfrom")
		}
		if m.From, err = checkSender(m.From); err != nil {
			return m, err
		}
		if strings.TrimSpace(m.Body) == "" {
			return m, fmt.Errorf("%w: empty text", engine.ErrInvalidMessage)
		}
		if utf8.RuneCountInString(m.Body) > maxSMSRunes {
			return m, fmt.Errorf("%w: text longer than %d characters", engine.ErrInvalidMessage, maxSMSRunes)
		}
	default:
		return m, fmt.Errorf("%w: unknown kind %q", engine.ErrInvalidMessage, m.Kind)
	}
	m.To = to
	m.Subject = oneLine(m.Subject)
	if len(m.Subject) > maxSubjectLen {
		m.Subject = strings.ToValidUTF8(m.Subject[:maxSubjectLen], "")
	}
	m.Body = strings.ToValidUTF8(m.Body, "?")
	return m, nil
}

// checkSender accepts an SMS sender: a number (returned normalized) or up
// to 11 letters and digits (an alphanumeric sender id).
func checkSender(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if n, err := parsePhone(s); err == nil {
		return n, nil
	}
	bad := fmt.Errorf("%w: sender %q: a number or at most 11 letters and digits", engine.ErrInvalidMessage, clipText(s))
	if len(s) > 11 {
		return "", bad
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == ' ' || r == '.' || r == '-' || r == '_') {
			return "", bad
		}
	}
	return s, nil
}
