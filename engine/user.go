package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// User types as stored in tb_users.type.
const (
	TypeEndUser       = 0
	TypeReseller      = 1
	TypeOwner         = 2
	TypeSupport       = 3
	TypeAdmin         = 4
	TypeTrafficSender = 5
	TypeSrvAdmin      = 6
	TypeSIPServer     = 9
)

// UserTypes names the user types for the CLI and docs.
var UserTypes = map[string]int{
	"enduser": TypeEndUser, "reseller": TypeReseller, "owner": TypeOwner,
	"support": TypeSupport, "admin": TypeAdmin, "srvadmin": TypeSrvAdmin,
	"trafficsender": TypeTrafficSender, "sipserver": TypeSIPServer,
}

// User is the authenticated (or identified) caller, a row of tb_users.
type User struct {
	ID                int64
	Type              int
	Username          string
	Password          string
	Name              string
	Email             string
	Phone             string
	Currency          string
	Country           string
	Address           string
	Credit            float64
	Postpaid          int
	Enabled           int
	TemporaryDisabled int
	Status            int
	StatusDate        sql.NullTime
	IP                string
	PIN               string
	ParentID          int64

	// partial is set on a user loaded with leanColumns only: the fields of
	// restColumns are zero until userStore.complete fills them.
	partial bool
}

// IsAdmin reports whether the user has admin rights.
func (u *User) IsAdmin() bool {
	return u != nil && (u.Type == TypeAdmin || u.Type == TypeSrvAdmin)
}

// Disabled reports whether the account may not authenticate.
func (u *User) Disabled() bool { return u.Enabled == 0 || u.TemporaryDisabled != 0 }

// Field returns a user field by its column name, for {field} keywords and
// rules. The password is deliberately not exposed.
func (u *User) Field(name string) (any, bool) {
	switch name {
	case "id", "userid":
		return u.ID, true
	case "type":
		return u.Type, true
	case "username":
		return u.Username, true
	case "name":
		return u.Name, true
	case "email":
		return u.Email, true
	case "phone":
		return u.Phone, true
	case "currency":
		return u.Currency, true
	case "country":
		return u.Country, true
	case "address":
		return u.Address, true
	case "credit":
		return u.Credit, true
	case "postpaid":
		return u.Postpaid, true
	case "enabled":
		return u.Enabled, true
	case "status":
		return u.Status, true
	case "ip":
		return u.IP, true
	case "parentid":
		return u.ParentID, true
	}
	return nil, false
}

// fieldMap is the user as a map, for rule conditions.
func (u *User) fieldMap() map[string]any {
	if u == nil {
		return map[string]any{}
	}
	m := make(map[string]any, 16)
	for _, k := range []string{"id", "type", "username", "name", "email", "phone", "currency", "country", "address", "credit", "postpaid", "enabled", "status", "ip", "parentid"} {
		m[k], _ = u.Field(k)
	}
	return m
}

// Registered reports whether the switch saw the user registered within
// expiry (tb_users.status > 0 and a recent statusdate).
func (u *User) Registered(now time.Time, expiry time.Duration) bool {
	return u.Status > 0 && u.StatusDate.Valid && now.Sub(u.StatusDate.Time) <= expiry
}

const userColumns = `id, type, username, password, name, email, phone, currency, country, address,
 credit, postpaid, enabled, temporarydisabled, status, statusdate, ip, COALESCE(pin, ''), parentid FROM tb_users`

// leanColumns are what authentication and authorization read on every
// request (the secrets, level, enabled flags, credit) plus the currency
// balance answers with. The rest of the user (restColumns) is read once,
// only for an entry that asks for it (Entry.restUser) or a registration
// check: see userStore.complete.
//
// Each column has a one-letter alias: the SQLite driver copies every
// column's name into a new string on every query, and Go keeps one-byte
// strings without allocating (10 allocations less per request).
const leanColumns = `id AS a, type AS b, username AS c, password AS d, COALESCE(pin, '') AS e, enabled AS f,
 temporarydisabled AS g, credit AS h, postpaid AS i, currency AS j FROM tb_users`

// leanColumnsNative are leanColumns for pgx's native rows
// (schema.Dialect.NativeRows): the credit as the server's double, which
// pgx reads as 8 bytes, where a NUMERIC is decoded through math/big. The
// server rounds the decimal to the nearest double as strconv.ParseFloat
// does with the NUMERIC's text (what database/sql reads), so the values are
// the same (TestLeanLookupReadsExactValues).
const leanColumnsNative = `id AS a, type AS b, username AS c, password AS d, COALESCE(pin, '') AS e, enabled AS f,
 temporarydisabled AS g, CAST(credit AS DOUBLE PRECISION) AS h, postpaid AS i, currency AS j FROM tb_users`

// restColumns are the fields of User that leanColumns leave out.
const restColumns = `name, email, phone, country, address, status, statusdate, ip, parentid FROM tb_users WHERE id = ?`

// restFields are the names User.Field answers from restColumns.
var restFields = map[string]bool{"name": true, "email": true, "phone": true, "country": true, "address": true, "status": true, "ip": true, "parentid": true}

// userQuery selects a user's columns WHERE where (written with ?).
func userQuery(d schema.Dialect, where string) string {
	return d.Rebind("SELECT " + userColumns + " WHERE " + where)
}

// leanQuery selects a user's lean columns WHERE where (written with ?).
func leanQuery(d schema.Dialect, where string) string {
	cols := leanColumns
	switch {
	case d == schema.SQLite:
		cols = leanPackedSQLite // two columns instead of ten (userpack.go)
	case d.NativeRows():
		cols = leanColumnsNative
	}
	return d.Rebind("SELECT " + cols + " WHERE " + where)
}

// restQuery selects the rest of a user by id.
func restQuery(d schema.Dialect) string { return d.Rebind("SELECT " + restColumns) }

func scanUser(row *sql.Row) (*User, error) {
	u := &User{}
	err := row.Scan(&u.ID, &u.Type, &u.Username, &u.Password, &u.Name, &u.Email, &u.Phone, &u.Currency,
		&u.Country, &u.Address, &u.Credit, &u.Postpaid, &u.Enabled, &u.TemporaryDisabled, &u.Status,
		&u.StatusDate, &u.IP, &u.PIN, &u.ParentID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

// scanLean runs st, a leanQuery, with arg and reads the user into into (a
// new User when nil).
func (s *userStore) scanLean(ctx context.Context, st *lookupStmt, arg any, into *User) (*User, error) {
	u := into
	if u == nil {
		u = new(User)
	}
	u.partial = true
	var err error
	if s.packed {
		err = scanPacked(ctx, st, arg, u)
	} else {
		err = st.Scan(ctx, arg, &u.ID, &u.Type, &u.Username, &u.Password, &u.PIN, &u.Enabled, &u.TemporaryDisabled,
			&u.Credit, &u.Postpaid, &u.Currency)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

// userStore loads users with prepared statements (the hot path of every
// authenticated request) where the dialect prepares (lookupStmt).
type userStore struct {
	// byName, byID and byPIN read leanColumns; full reads every column by
	// id (UserByID); rest reads restColumns by id (complete).
	byName, byID, byPIN, full, rest *lookupStmt
	// inProcess: the database runs in this process (see lookupCtx).
	inProcess bool
	// packed: the lean queries read leanPackedSQLite (SQLite).
	packed bool
	// hints, on SQLite, let ByUsername read by id (userhint.go).
	hints *nameHints
}

// lookupCtx is the context of a user lookup. On an in-process database
// (SQLite) a point read by an index runs without a watcher on the
// request's context: database/sql and the driver would each start a
// goroutine per query for it. A request already cancelled still fails.
func (s *userStore) lookupCtx(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.inProcess {
		// No driver reads a context's values: Background is
		// WithoutCancel without its allocation.
		return context.Background(), nil
	}
	return ctx, nil
}

func newUserStore(ctx context.Context, e *Engine) (*userStore, error) {
	d := e.db.Dialect
	s := &userStore{inProcess: d.InProcess(), packed: d == schema.SQLite}
	if s.packed {
		s.hints = newNameHints()
	}
	for _, q := range []struct {
		dst   **lookupStmt
		query string
	}{
		{&s.byName, leanQuery(d, "username = ?")}, {&s.byID, leanQuery(d, "id = ?")},
		{&s.byPIN, leanQuery(d, "pin = ? AND pin <> ''")}, {&s.full, userQuery(d, "id = ?")}, {&s.rest, restQuery(d)},
	} {
		st, err := prepareLookup(ctx, e.db, q.query)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("prepare user query: %w", err)
		}
		*q.dst = st
	}
	return s, nil
}

func (s *userStore) close() {
	for _, st := range []*lookupStmt{s.byName, s.byID, s.byPIN, s.full, s.rest} {
		if st != nil {
			st.Close()
		}
	}
}

// ByUsername returns the user (lean: see complete) or nil when there is
// none. The user is read into into, a zero User the caller owns (the
// Call's, saving an allocation), or a new one when into is nil.
func (s *userStore) ByUsername(ctx context.Context, name string, into *User) (*User, error) {
	ctx, err := s.lookupCtx(ctx)
	if err != nil {
		return nil, err
	}
	if s.hints == nil {
		return s.scanLean(ctx, s.byName, name, into)
	}
	if id, ok := s.hints.get(name); ok {
		u, err := s.scanLean(ctx, s.byID, id, into)
		if err != nil {
			return nil, err
		}
		if u != nil && u.Username == name {
			return u, nil
		}
		s.hints.drop(name) // renamed or deleted: ask by name
		if u != nil {
			*u = User{}
		}
	}
	u, err := s.scanLean(ctx, s.byName, name, into)
	if u != nil && u.Username == name { // not a match under another collation: its hint would never hold
		s.hints.put(name, u.ID)
	}
	return u, err
}

// ByID returns the user with a numeric id given as text, or nil (into as
// for ByUsername).
func (s *userStore) ByID(ctx context.Context, id string, into *User) (*User, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, nil
	}
	if ctx, err = s.lookupCtx(ctx); err != nil {
		return nil, err
	}
	return s.scanLean(ctx, s.byID, n, into)
}

// ByPIN returns the user whose PIN this is, or nil (into as for
// ByUsername).
func (s *userStore) ByPIN(ctx context.Context, pin string, into *User) (*User, error) {
	if pin == "" {
		return nil, nil
	}
	ctx, err := s.lookupCtx(ctx)
	if err != nil {
		return nil, err
	}
	return s.scanLean(ctx, s.byPIN, pin, into)
}

// complete reads the rest of a lean user (restColumns), once. A user who
// is gone meanwhile keeps those fields zero.
func (s *userStore) complete(ctx context.Context, u *User) error {
	if u == nil || !u.partial {
		return nil
	}
	ctx, err := s.lookupCtx(ctx)
	if err != nil {
		return err
	}
	err = s.rest.QueryRowContext(ctx, u.ID).Scan(&u.Name, &u.Email, &u.Phone, &u.Country, &u.Address,
		&u.Status, &u.StatusDate, &u.IP, &u.ParentID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("load user: %w", err)
	}
	u.partial = false
	return nil
}

// completeUser reads the rest of c.User when the entry or a registration
// check needs it.
func (e *Engine) completeUser(ctx context.Context, c *Call) error {
	u := c.User
	if u == nil || !u.partial {
		return nil
	}
	need := c.Entry.restUser
	if a := &c.Entry.Access; !need && !u.IsAdmin() && a.ReqUser != LevelPublic {
		reg := a.ReqUserRegister
		if reg == Inherit {
			reg = c.Config.DefNeedRegister
		}
		need = reg >= 1
	}
	if !need {
		return nil
	}
	return e.users.complete(ctx, u)
}

// templateReadsUser reports whether a customsql template has a {name}
// keyword that may resolve to a field outside the lean columns.
func templateReadsUser(t *sqltemplate.Template) bool {
	for _, k := range t.Keys() {
		if k.Kind == sqltemplate.Field && restFields[k.Name] {
			return true
		}
	}
	return false
}

// UserByID loads a user by id (nil when there is none), for work that runs
// after the request is gone, such as a dead letter's failure action.
func (e *Engine) UserByID(ctx context.Context, id int64) (*User, error) {
	return scanUser(e.users.full.QueryRowContext(ctx, id))
}
