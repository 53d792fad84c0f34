package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

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

// userQuery selects a user's columns WHERE where (written with ?).
func userQuery(d schema.Dialect, where string) string {
	return d.Rebind("SELECT " + userColumns + " WHERE " + where)
}

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

// userStore loads users with prepared statements (the hot path of every
// authenticated request).
type userStore struct {
	byName, byID, byPIN *sql.Stmt
}

func newUserStore(ctx context.Context, e *Engine) (*userStore, error) {
	s := &userStore{}
	for _, q := range []struct {
		dst   **sql.Stmt
		where string
	}{{&s.byName, "username = ?"}, {&s.byID, "id = ?"}, {&s.byPIN, "pin = ? AND pin <> ''"}} {
		st, err := e.db.PrepareContext(ctx, userQuery(e.db.Dialect, q.where))
		if err != nil {
			return nil, fmt.Errorf("prepare user query: %w", err)
		}
		*q.dst = st
	}
	return s, nil
}

func (s *userStore) close() {
	for _, st := range []*sql.Stmt{s.byName, s.byID, s.byPIN} {
		if st != nil {
			st.Close()
		}
	}
}

// ByUsername returns the user or nil when there is none.
func (s *userStore) ByUsername(ctx context.Context, name string) (*User, error) {
	return scanUser(s.byName.QueryRowContext(ctx, name))
}

// ByID returns the user with a numeric id given as text, or nil.
func (s *userStore) ByID(ctx context.Context, id string) (*User, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, nil
	}
	return scanUser(s.byID.QueryRowContext(ctx, n))
}

// ByPIN returns the user whose PIN this is, or nil.
func (s *userStore) ByPIN(ctx context.Context, pin string) (*User, error) {
	if pin == "" {
		return nil, nil
	}
	return scanUser(s.byPIN.QueryRowContext(ctx, pin))
}
