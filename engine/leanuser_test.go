package engine_test

import (
	"context"
	"testing"

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
