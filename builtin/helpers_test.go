package builtin_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// env is a migrated database and an engine with every built-in; requests
// go through the whole pipeline (engine.Serve) from an untrusted address
// unless a test names another.
type env struct {
	t   testing.TB
	db  *schema.DB
	e   *engine.Engine
	key string
}

const remoteIP = "203.0.113.7"

func newEnv(t testing.TB, sets map[string]string) *env {
	t.Helper()
	db := mvtest.MustOpen(t, mvtest.FreshDSN(t, kindOf(t)))
	return &env{t: t, db: db, e: mvtest.MustEngine(t, db, sets), key: mvtest.APIKey(t, db)}
}

// pwd is the password every test user gets.
func pwd(name string) string { return "pw-" + name + "-1" }

func (v *env) user(name string, typ int, credit float64) int64 {
	v.t.Helper()
	return mvtest.MustUser(v.t, v.db, engine.NewUser{Username: name, Password: pwd(name), Type: typ, Credit: credit, Currency: "USD"})
}

// serve sends one request from ip with the given parameters.
func (v *env) serve(ip, entry string, kv ...string) format.Result {
	v.t.Helper()
	params := []wire.Param{{Name: "apientry", Value: entry}}
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, wire.Param{Name: strings.ToLower(kv[i]), Value: kv[i+1]})
	}
	req := engine.NewRequest(params, netip.MustParseAddr(ip), "test")
	return v.e.Serve(context.Background(), req)
}

// as calls entry as user (api key and clear-text password) from remoteIP.
func (v *env) as(user, entry string, kv ...string) format.Result {
	v.t.Helper()
	return v.serve(remoteIP, entry, append([]string{"authkey", v.key, "authid", user, "authpwd", pwd(user)}, kv...)...)
}

func (v *env) exec(q string, args ...any) { v.t.Helper(); mvtest.MustExec(v.t, v.db, q, args...) }

func (v *env) credit(id int64) float64 {
	v.t.Helper()
	var c float64
	if err := v.db.Get(&c, v.db.Dialect.Rebind("SELECT credit FROM tb_users WHERE id = ?"), id); err != nil {
		v.t.Fatal(err)
	}
	return c
}

func (v *env) count(q string, args ...any) int {
	v.t.Helper()
	var n int
	if err := v.db.Get(&n, v.db.Dialect.Rebind(q), args...); err != nil {
		v.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func wantOK(t testing.TB, res format.Result, prefix string) {
	t.Helper()
	if !res.OK || !strings.HasPrefix(res.Text, prefix) {
		t.Fatalf("answer %q (ok=%v), want success starting %q", res.Text, res.OK, prefix)
	}
}

func wantErr(t testing.TB, res format.Result, part string) {
	t.Helper()
	if res.OK || !strings.HasPrefix(res.Text, "ERROR: ") || !strings.Contains(res.Text, part) {
		t.Fatalf("answer %q (ok=%v), want ERROR containing %q", res.Text, res.OK, part)
	}
}

// column returns the values of one column of a table answer.
func column(t testing.TB, res format.Result, name string) []string {
	t.Helper()
	for i, c := range res.Columns {
		if c == name {
			out := make([]string, len(res.Rows))
			for j, r := range res.Rows {
				out[j] = r[i]
			}
			return out
		}
	}
	t.Fatalf("answer %q has no column %q (columns %v)", res.Text, name, res.Columns)
	return nil
}

// forEachDB runs fn on SQLite and, when MVAPI_TEST_POSTGRES (or
// MVAPI_TEST_MSSQL) is set, on that database too, as subtests named after
// the kind; newEnv picks the kind from the test's name.
func forEachDB(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, kind := range mvtest.Kinds() {
		t.Run(kind, fn)
	}
}

func kindOf(t testing.TB) string {
	name := t.Name() + "/"
	for _, k := range mvtest.Kinds() {
		if strings.Contains(name, "/"+k+"/") {
			return k
		}
	}
	return "sqlite"
}
