package actions

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/schema"
)

// Outbox statuses.
const (
	statusPending = "pending"
	statusSent    = "sent"
	statusDead    = "dead"
)

// message is one row of tb_outbox.
type message struct {
	ID         int64          `db:"id"`
	Kind       string         `db:"kind"`
	Key        string         `db:"idemkey"`
	Recipients string         `db:"recipients"`
	Sender     string         `db:"sender"`
	Subject    string         `db:"subject"`
	Body       string         `db:"body"`
	HTML       int            `db:"html"`
	Unicode    int            `db:"isunicode"`
	Entry      string         `db:"entry"`
	UserID     sql.NullInt64  `db:"userid"`
	Params     string         `db:"params"`
	OnFailure  int            `db:"onfailure"`
	Status     string         `db:"status"`
	Attempts   int            `db:"attempts"`
	LastError  string         `db:"last_error"`
	Result     string         `db:"result"`
	Worker     sql.NullString `db:"worker"`
}

// to lists the recipients (stored one per line).
func (m *message) to() []string { return strings.Split(m.Recipients, "\n") }

const messageColumns = `id, kind, idemkey, recipients, sender, subject, body, html, isunicode, entry,
 userid, params, onfailure, status, attempts, last_error, result, worker`

// newKey returns a random idempotency key.
func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// savedParams is the request as a dead letter's failure action sees it,
// without credentials, capped in size.
func savedParams(c *engine.Call) string {
	if c.Req == nil {
		return "{}"
	}
	p := make(map[string]string, len(c.Req.Params))
	total := 0
	for k, v := range c.Req.Params {
		if forbidden[k] || strings.HasPrefix(k, "oenc") || total > 16<<10 {
			continue
		}
		if len(v) > 1000 {
			v = v[:1000]
		}
		p[k] = v
		total += len(k) + len(v)
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// insert stores a new message in tx. leased claims it for this node at
// once (a synchronous send delivers it itself); otherwise it is due now.
func (a *Actions) insert(ctx context.Context, tx *sqlx.Tx, d schema.Dialect, c *engine.Call, m engine.Message, onFailure, leased bool, lease time.Duration) (int64, string, error) {
	t := now()
	key := newKey()
	var userID sql.NullInt64
	if c.User != nil {
		userID = sql.NullInt64{Int64: c.User.ID, Valid: true}
	}
	entry := ""
	if c.Entry != nil {
		entry = c.Entry.Name
	}
	var leaseUntil sql.NullTime
	var worker sql.NullString
	attempts := 0
	if leased {
		leaseUntil = sql.NullTime{Time: t.Add(lease), Valid: true}
		worker = sql.NullString{String: a.node, Valid: true}
		attempts = 1
	}
	q := outboxInsertSQL(d)
	var id int64
	err := tx.QueryRowxContext(ctx, q, m.Kind, key, strings.Join(m.To, "\n"), m.From, m.Subject, m.Body,
		b2i(m.HTML), b2i(m.Unicode), entry, userID, savedParams(c), b2i(onFailure), statusPending, attempts,
		t, leaseUntil, worker, t).Scan(&id)
	if err != nil {
		return 0, "", fmt.Errorf("outbox: insert: %w", err)
	}
	return id, key, nil
}

// claim leases up to n due messages for this node. The lease is taken by
// one conditional UPDATE per row, so two nodes never hold the same row; it
// lasts the kind's delivery timeout plus leaseMargin.
func (a *Actions) claim(ctx context.Context, db *schema.DB, cfg *engine.Config, n int) ([]*message, error) {
	t := now()
	d := db.Dialect
	var due []struct {
		ID   int64  `db:"id"`
		Kind string `db:"kind"`
	}
	err := db.SelectContext(ctx, &due, outboxDueSQL(d, n), statusPending, t, t)
	if err != nil {
		return nil, fmt.Errorf("outbox: select due: %w", err)
	}
	var out []*message
	for _, r := range due {
		lease := deliveryTimeout(cfg, r.Kind) + leaseMargin
		res, err := db.ExecContext(ctx, outboxClaimSQL(d), t.Add(lease), a.node, r.ID, statusPending, t)
		if err != nil {
			return out, fmt.Errorf("outbox: claim %d: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue // another worker or node was faster
		}
		m, err := loadMessage(ctx, db, d, r.ID)
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

// loadMessage reads one row of tb_outbox.
func loadMessage(ctx context.Context, q sqlx.QueryerContext, d schema.Dialect, id int64) (*message, error) {
	m := &message{}
	err := sqlx.GetContext(ctx, q, m, outboxLoadSQL(d), id)
	if err != nil {
		return nil, fmt.Errorf("outbox: load %d: %w", id, err)
	}
	return m, nil
}

// markSent records a delivery; false when the lease was lost meanwhile.
func markSent(ctx context.Context, ex sqlx.ExtContext, d schema.Dialect, m *message, node, answer string) (bool, error) {
	res, err := ex.ExecContext(ctx, outboxSentSQL(d), statusSent, now(), clipAnswer(answer), m.ID, node, statusPending)
	if err != nil {
		return false, fmt.Errorf("outbox: mark %d sent: %w", m.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// markRetry releases the lease and schedules the next attempt.
func markRetry(ctx context.Context, ex sqlx.ExtContext, d schema.Dialect, m *message, node, lastErr string, next time.Time) error {
	_, err := ex.ExecContext(ctx, outboxRetrySQL(d), next, clipAnswer(lastErr), m.ID, node, statusPending)
	if err != nil {
		return fmt.Errorf("outbox: schedule retry of %d: %w", m.ID, err)
	}
	return nil
}

// markDead turns a message into a dead letter; false when the lease was
// lost meanwhile.
func markDead(ctx context.Context, ex sqlx.ExtContext, d schema.Dialect, m *message, node, lastErr string) (bool, error) {
	res, err := ex.ExecContext(ctx, outboxDeadSQL(d), statusDead, clipAnswer(lastErr), m.ID, node, statusPending)
	if err != nil {
		return false, fmt.Errorf("outbox: mark %d dead: %w", m.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// backoff is the wait before attempt+1: outboxbackoffms doubled per
// failed attempt, at most outboxbackoffmaxms.
func backoff(cfg *engine.Config, attempts int) time.Duration {
	base := millis(cfg, "outboxbackoffms", 10)
	limit := millis(cfg, "outboxbackoffmaxms", 10)
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// clipAnswer keeps stored answers and errors short and printable.
func clipAnswer(s string) string {
	s = strings.TrimSpace(oneLine(strings.ToValidUTF8(s, "?")))
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "..."
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

var outboxInsertSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.ReturningID(`INSERT INTO tb_outbox (kind, idemkey, recipients, sender, subject, body, html, isunicode,
 entry, userid, params, onfailure, status, attempts, next_attempt, lease_until, worker, last_error, result, created)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?)`)
})

// outboxDueSQL selects up to n due, unleased messages.
func outboxDueSQL(d schema.Dialect, n int) string {
	return d.Rebind(`SELECT ` + d.Top(n) + `id, kind FROM tb_outbox
 WHERE status = ? AND next_attempt <= ? AND (lease_until IS NULL OR lease_until < ?)
 ORDER BY next_attempt, id` + d.Limit(n))
}

var outboxClaimSQL = schema.Statement(`UPDATE tb_outbox SET lease_until = ?, worker = ?, attempts = attempts + 1
 WHERE id = ? AND status = ? AND (lease_until IS NULL OR lease_until < ?)`)

var outboxLoadSQL = schema.Statement(`SELECT ` + messageColumns + ` FROM tb_outbox WHERE id = ?`)

var outboxSentSQL = schema.Statement(`UPDATE tb_outbox SET status = ?, sent_at = ?, lease_until = NULL, result = ?, last_error = ''
 WHERE id = ? AND worker = ? AND status = ?`)

var outboxRetrySQL = schema.Statement(`UPDATE tb_outbox SET lease_until = NULL, next_attempt = ?, last_error = ?
 WHERE id = ? AND worker = ? AND status = ?`)

var outboxDeadSQL = schema.Statement(`UPDATE tb_outbox SET status = ?, lease_until = NULL, last_error = ?
 WHERE id = ? AND worker = ? AND status = ?`)
