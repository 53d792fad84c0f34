package engine_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// Authentication reads only the lean columns of a user; entries that ask
// for more ({field} in customsql or an action body, a rule, a registration
// check, a built-in marked ReadsUser) see the whole user, as before.
func TestLeanUserRestWhenAsked(t *testing.T) {
	db := mvtest.MustDB(t)
	key := mvtest.APIKey(t, db)
	mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1", Name: "Ann Lee", Email: "ann@example.com",
		Phone: "3612345", Country: "HU", Address: "Main 1", Currency: "EUR", Credit: 7})
	mvtest.MustExec(t, db, "UPDATE tb_users SET parentid = 42, ip = '203.0.113.5', status = 1, statusdate = CURRENT_TIMESTAMP WHERE username = 'ann'")
	mvtest.MustExec(t, db, `INSERT INTO tb_api (fname, customsql) VALUES
 ('myfields', 'SELECT {name} || ''/'' || {email} || ''/'' || {phone} || ''/'' || {country} || ''/'' || {address} || ''/'' || {parentid} || ''/'' || {ip} || ''/'' || {status} || ''/'' || {currency} || ''/'' || [USERNAME]'),
 ('mycur', 'SELECT {currency} || ''/'' || {credit}')`)
	mvtest.MustExec(t, db, `INSERT INTO tb_api (fname, customsql, rule) VALUES ('ruled', 'SELECT 1', 'user.name == "Ann Lee" && user.parentid == 42')`)
	mvtest.MustExec(t, db, `INSERT INTO tb_api (fname, customsql, req_user_register) VALUES ('regip', 'SELECT 2', 2)`)
	e := mvtest.MustEngine(t, db, map[string]string{"allowtrustedip": "0"})
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	auth := []string{"authkey", key, "authid", "ann", "authpwd", "annpass1"}
	for _, c := range []struct {
		entry, ip, want string
	}{
		{"myfields", "198.51.100.1", "OK: Ann Lee/ann@example.com/3612345/HU/Main 1/42/203.0.113.5/1/EUR/ann"},
		{"mycur", "198.51.100.1", "OK: EUR/7.0"},
		{"ruled", "198.51.100.1", "OK: 1"},
		{"regip", "203.0.113.5", "OK: 2"},
		{"regip", "198.51.100.1", "ERROR: access denied: request not from the registered IP"},
		{"status", "198.51.100.1", "OK: 2"}, // status 1 with a fresh statusdate is registered: online (issue 12)
		{"balance", "198.51.100.1", "Your credit is €7"},
	} {
		got := serve(e, c.ip, append([]string{"apientry", c.entry}, auth...)...)
		if got != c.want {
			t.Errorf("%s from %s: got %q, want %q", c.entry, c.ip, got, c.want)
		}
	}
}

// The lean lookup (on SQLite two packed columns, see leanPackedSQLite)
// reads the same values as the plain query of UserByID: numbers as
// numbers, text as text, also when the text looks like a number or holds
// the packing's commas and multi-byte characters, and credits that binary
// floating point does not hold exactly.
func TestLeanLookupReadsExactValues(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		e := mvtest.MustEngine(t, db, nil)
		ctx := context.Background()
		for _, c := range []struct {
			name, password, currency, pin string
			credit                        float64
			typ, postpaid, enabled, tmp   int
		}{
			{"plain", "secret1", "USD", "", 10, engine.TypeEndUser, 0, 1, 0},
			{"numeric-text", "0123", "007", "0042", 0.1, engine.TypeAdmin, 1, 1, 2},
			{"exponent", "1e5", " 12 ", "9e9", -1234567.125, engine.TypeSrvAdmin, 3, 0, 1},
			{"commas", ",1,2,ü€,", ",€,", ",9,", 7, engine.TypeReseller, -1, 7, 0},
			{"big-credit", "pw", "EUR", "", 12345678901234.5678, engine.TypeEndUser, 0, 1, 0},
			{"tiny-credit", "pw", "EUR", "", 0.0001, engine.TypeEndUser, 0, 1, 0},
			{"negative-credit", "pw", "EUR", "", -9999999999999.9999, engine.TypeEndUser, 0, 1, 0},
			{"credit-2.675", "pw", "EUR", "", 2.675, engine.TypeEndUser, 0, 1, 0},
		} {
			id := mvtest.MustUser(t, db, engine.NewUser{Username: c.name, Password: "initial1", Type: c.typ})
			mvtest.MustExec(t, db, db.Dialect.Rebind("UPDATE tb_users SET password = ?, currency = ?, pin = NULLIF(?, ''), credit = ?, postpaid = ?, enabled = ?, temporarydisabled = ? WHERE id = ?"),
				c.password, c.currency, c.pin, c.credit, c.postpaid, c.enabled, c.tmp, id)
			full, err := e.UserByID(ctx, id)
			if err != nil || full == nil {
				t.Fatalf("%s: full lookup: %v, %v", c.name, full, err)
			}
			want := []any{full.ID, full.Type, full.Username, full.Password, full.PIN, full.Enabled, full.TemporaryDisabled, full.Credit, full.Postpaid, full.Currency}
			// each lean lookup (on PostgreSQL through pgx's native rows,
			// see schema.Dialect.NativeRows) reads what the plain query does
			keys := [][2]string{{"username", c.name}, {"id", strconv.FormatInt(id, 10)}}
			if c.pin != "" {
				keys = append(keys, [2]string{"pin", c.pin})
			}
			var lean *engine.User
			for _, k := range keys {
				lean, err = e.LeanUserBy(ctx, k[0], k[1])
				if err != nil || lean == nil {
					t.Fatalf("%s: lean lookup by %s: %v, %v", c.name, k[0], lean, err)
				}
				got := []any{lean.ID, lean.Type, lean.Username, lean.Password, lean.PIN, lean.Enabled, lean.TemporaryDisabled, lean.Credit, lean.Postpaid, lean.Currency}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("%s by %s: lean column %d = %#v, the plain query reads %#v", c.name, k[0], i, got[i], want[i])
					}
				}
			}
			if lean.Password != c.password || lean.Currency != c.currency || lean.PIN != c.pin || lean.Credit != c.credit {
				t.Errorf("%s: lean user %+v, want password %q currency %q pin %q credit %v", c.name, lean, c.password, c.currency, c.pin, c.credit)
			}
		}
		for _, k := range [][2]string{{"username", "nobody"}, {"id", "999999"}, {"id", "x1"}, {"pin", "000"}, {"pin", ""}} {
			if u, err := e.LeanUserBy(ctx, k[0], k[1]); u != nil || err != nil {
				t.Errorf("lean lookup by %s %q of no user = %+v, %v; want nil, nil", k[0], k[1], u, err)
			}
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if u, err := e.LeanUserBy(cancelled, "username", "plain"); err == nil {
			t.Errorf("lean lookup on a cancelled context = %+v, want an error", u)
		}
	})
}

// On PostgreSQL a pooled connection whose server process is gone is
// dropped: the lookup after the one that met it works.
func TestLeanLookupAfterLostConnection(t *testing.T) {
	if os.Getenv(mvtest.EnvPostgres) == "" {
		t.Skip("needs " + mvtest.EnvPostgres)
	}
	dsn := mvtest.FreshDSN(t, "postgres")
	db := mvtest.MustOpen(t, dsn)
	admin := mvtest.MustOpen(t, dsn)
	e := mvtest.MustEngine(t, db, nil)
	mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1"})
	db.DB.SetMaxOpenConns(1) // the lookups run on the connection killed below
	ctx := context.Background()
	// The pool may still close a connection it holds beyond the new limit
	// after pg_backend_pid answered on it (pg_terminate_backend then finds
	// no such backend): ask again until the one kept is the one killed.
	var pid int
	for try := 0; ; try++ {
		if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		var killed bool
		if err := admin.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&killed); err != nil {
			t.Fatalf("terminate backend %d: %v", pid, err)
		}
		if killed {
			break
		}
		if try == 50 {
			t.Fatalf("terminate backend %d: no such backend, 50 times", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; ; i++ {
		var n int
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i == 200 {
			t.Fatalf("backend %d still there after 10 s", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var u *engine.User
	var err error
	for range 2 { // the first may meet the dead connection
		if u, err = e.LeanUser(ctx, "ann"); err == nil {
			break
		}
	}
	if err != nil || u == nil || u.Username != "ann" {
		t.Fatalf("lookup after a lost connection = %+v, %v; want ann", u, err)
	}
}
