package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

// TestCustomSQLDialect: the reference's T-SQL rows run on the default
// database, with keywords still bound; native leaves them alone; a row's
// "-- dialect:" comment overrides the option; an untranslatable row is
// refused at load naming the construct.
func TestCustomSQLDialect(t *testing.T) {
	f := newFixture(t)
	mvtest.MustExec(t, f.db, "UPDATE tb_users SET status = 1, statusdate = ? WHERE username = 'enduser'", time.Now().UTC().Add(-time.Hour))
	rows := map[string]string{
		"tstatus": "select top 1 id from tb_users where username = [USERNAME] and status > 0 and statusdate > getdate() - 0.1 and Enabled <> 0",
		"thello":  "select 'Hello ' + [USERNAME]",
		"tlen":    "-- dialect: tsql\nselect len(username + '  ') from tb_users with(nolock) where id = [USERID]",
		"tnative": "-- dialect: native\nselect 'Hello ' + [USERNAME]",
	}
	for name, sql := range rows {
		mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql) VALUES (?, ?)", name, sql)
	}
	e := mvtest.MustEngine(t, f.db, nil)
	call := func(entry string) string {
		return serve(e, "203.0.113.9", "apientry", entry, "authkey", f.key, "authid", "enduser", "authpwd", "endpass1")
	}
	for entry, want := range map[string]string{
		"tstatus": "OK: 1",
		"thello":  "OK: Hello enduser",
		"tlen":    "OK: 7",
		"tnative": "OK: 0", // SQLite's + as written
	} {
		if got := call(entry); got != want {
			t.Errorf("%s: got %q, want %q", entry, got, want)
		}
	}

	mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql) VALUES ('tinto', 'select * into tb_copy from tb_users')")
	_, err := e.ReloadTable(context.Background())
	if err == nil || !strings.Contains(err.Error(), "SELECT ... INTO") || !strings.Contains(err.Error(), "CREATE TABLE t AS SELECT") {
		t.Fatalf("reload with SELECT INTO: %v", err)
	}
}
