package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"sort"
	"strings"
	"time"

	"mvapi/engine/format"
	"mvapi/internal/logring"
	"mvapi/schema"
)

// The audit trail: every admin change is one row of tb_auditlog (when,
// node, user, ip, entry, masked parameters, outcome). It is written from
// one place, ServeSnapshot after the handler ran, for the built-ins marked
// with an AuditMode (MarkAudit) and for every customsql row that only
// admins may call; the console (logins) and the command line (user add)
// call Audit directly. An audit row that cannot be written is logged as an
// error; the answer stays what the handler answered.

// AuditMode says when a built-in is audited.
type AuditMode uint8

const (
	// AuditNever: not audited (the default).
	AuditNever AuditMode = iota
	// AuditAlways: every call that reached the handler.
	AuditAlways
	// AuditAdmin: calls that ran with admin rights or on another user than
	// the caller (setfield/getfield by an admin, on a table or targetuser).
	AuditAdmin
)

// MarkAudit sets the audit mode of the built-ins called names; an unknown
// name is a programming error and panics.
func (r *Registry) MarkAudit(mode AuditMode, names ...string) {
	for _, n := range names {
		b, ok := r.byName[strings.ToLower(n)]
		if !ok {
			panic("engine: MarkAudit of an unknown built-in: " + n)
		}
		b.Audit = mode
	}
}

// AuditRecord is one row of tb_auditlog.
type AuditRecord struct {
	UserID   int64 // 0: no user (a trusted IP acting as admin, a failed login)
	Username string
	IP       string
	Entry    string
	Params   Params
	Outcome  string // "ok" or the failure kind
	Detail   string // the answer's first line, or what happened
	Request  string // the request id
}

// audited reports whether the call c is audited.
func (e *Engine) audited(c *Call) bool {
	ent := c.Entry
	if !ent.Builtin {
		// A customsql row only admins may call is an admin change (or an
		// admin reading data: cheap enough to keep).
		return ent.Access.ReqUser != LevelDefault && ent.Access.ReqUser <= LevelAdmins
	}
	b, ok := e.reg.byName[ent.Name]
	if !ok {
		return false
	}
	switch b.Audit {
	case AuditAlways:
		return true
	case AuditAdmin:
		return c.Admin || c.Caller != nil && c.User != nil && c.Caller.ID != c.User.ID || c.Req.Params.Has("table")
	}
	return false
}

// auditCall writes the audit row of an audited call that reached its
// handler, unless the handler wrote it in its own transaction (AuditTx)
// and succeeded.
func (e *Engine) auditCall(ctx context.Context, c *Call, res format.Result) {
	if res.OK && c.auditedInTx || !c.auditedInTx && !e.audited(c) {
		return
	}
	r := c.auditRecord(res.Kind.String(), res.Text)
	if res.OK {
		r.Outcome = "ok"
	}
	if err := e.Audit(ctx, r); err != nil {
		e.log.ErrorContext(ctx, "audit row not written", "entry", c.Entry.Name, "request", c.Req.ID, "err", err)
	}
}

func (c *Call) auditRecord(outcome, detail string) AuditRecord {
	r := AuditRecord{IP: c.Req.RemoteIP.String(), Entry: c.Entry.Name, Params: c.Req.Params, Request: c.Req.ID, Outcome: outcome, Detail: detail}
	if u := c.Caller; u != nil {
		r.UserID, r.Username = u.ID, u.Username
	} else if u := c.User; u != nil {
		r.UserID, r.Username = u.ID, u.Username
	}
	return r
}

// AuditConsoleLogin writes the audit row of an admin console login
// attempt: outcome ok, or auth with the name that was tried.
func (e *Engine) AuditConsoleLogin(ctx context.Context, username string, u *User, ip netip.Addr, err error) {
	r := AuditRecord{Username: username, IP: ip.String(), Entry: "console login", Outcome: "ok", Detail: "logged in"}
	if err != nil || u == nil {
		r.Outcome, r.Detail = KindAuth.String(), "login failed"
		if err != nil && !errors.Is(err, ErrLoginFailed) {
			r.Outcome, r.Detail = ErrorKind(err).String(), "login refused: "+err.Error()
		}
	} else {
		r.UserID, r.Username = u.ID, u.Username
	}
	if werr := e.Audit(ctx, r); werr != nil {
		e.log.Error("audit row not written", "entry", r.Entry, "err", werr)
	}
}

// Execer is a database or a transaction.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// AuditTx writes the call's audit row (outcome ok, detail) in tx, the
// transaction of the change itself: the row commits or rolls back with the
// change. When the call then succeeds the engine writes no second row; when
// it fails, the engine writes the failure.
func (c *Call) AuditTx(ctx context.Context, tx Execer, detail string) error {
	c.auditedInTx = true
	return writeAudit(ctx, tx, c.Engine.db.Dialect, c.auditRecord("ok", detail))
}

// Audit writes one row of tb_auditlog (parameters masked, texts clipped)
// within 5 seconds, also when ctx is already cancelled.
func (e *Engine) Audit(ctx context.Context, r AuditRecord) error {
	return WriteAudit(ctx, e.db, r)
}

// WriteAudit is Engine.Audit for any database (the command line).
func WriteAudit(ctx context.Context, db *schema.DB, r AuditRecord) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return writeAudit(ctx, db, db.Dialect, r)
}

func writeAudit(ctx context.Context, db Execer, d schema.Dialect, r AuditRecord) error {
	var uid any
	if r.UserID != 0 {
		uid = r.UserID
	}
	detail, _, _ := strings.Cut(r.Detail, "\n")
	_, err := db.ExecContext(ctx, auditInsertSQL(d), time.Now().UTC(), Node, uid, clipTo(r.Username, 120),
		clipTo(r.IP, 120), clipTo(r.Entry, 120), MaskParams(r.Params), clipTo(r.Outcome, 120), clipTo(detail, 500), clipTo(r.Request, 120))
	return err
}

// MaskParams is the JSON of a request's parameters as the audit trail
// keeps them: secrets (passwords, keys, authmd5, PINs, a setfield value
// of a secret field) masked, file contents replaced by their size, long
// values clipped.
func MaskParams(p Params) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, len(p))
	secretField := logring.IsSecretKey(p["fieldname"]) || strings.EqualFold(strings.TrimSpace(p["fieldname"]), "pin")
	for _, k := range keys {
		v := p[k]
		switch {
		case logring.IsSecretKey(k), k == "pin", k == "u_pin", k == "fieldvalue" && secretField, k == "value" && logring.IsSecretKey(p["key"]):
			v = logring.Masked
		case k == "filedata" || k == "data":
			v = "(" + itoa(len(v)) + " bytes)"
		default:
			v = logring.MaskText(clipTo(v, 1000))
		}
		out[k] = v
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func clipTo(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

var auditInsertSQL = schema.Statement(`INSERT INTO tb_auditlog (datum, node, userid, username, ip, entry, params, outcome, detail, request)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
