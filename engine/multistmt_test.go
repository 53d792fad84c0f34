package engine_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// Issue #10, item 6: "*UPDATE … WHERE id=[USERID]; UPDATE tb_users SET
// displayname='[SPARAM1]' WHERE id=[USERID]" called by user 2222 changed
// the admin's row on SQLite (every statement bound from the first
// argument). Each statement binds its own arguments now, on every database.
func TestMultiStatementCustomSQLBindsPerStatement(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		adminID := mvtest.MustUser(t, db, engine.NewUser{Username: "admin", Password: "adminpw1", Type: engine.TypeAdmin})
		userID := mvtest.MustUser(t, db, engine.NewUser{Username: "2222", Password: "pw222222"})
		key := mvtest.APIKey(t, db)
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('setname', ?)",
			"*UPDATE tb_users SET statusdate = statusdate WHERE id=[USERID]; UPDATE tb_users SET displayname='[SPARAM1]' WHERE id=[USERID]")
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('setshow', ?)",
			"UPDATE tb_users SET displayname='[SPARAM1]' WHERE id=[USERID]; SELECT displayname FROM tb_users WHERE id=[USERID]")
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, custom_action, custom_action_body) VALUES ('sqlact', 8, ?)",
			"UPDATE tb_users SET statusdate = statusdate WHERE id=[USERID]; UPDATE tb_users SET name='[SPARAM1]' WHERE id=[USERID]")
		e := mvtest.MustEngine(t, db, nil)
		// sparam1 is the admin's id: the first statement's [USERID] bound
		// to the second's displayname and sparam1 to its id.
		got := serve(e, untrusted, "apientry", "setname", "authkey", key, "authid", "2222", "authpwd", "pw222222", "sparam1", strconv.FormatInt(adminID, 10))
		name := func(id int64) string {
			var s string
			if err := db.Get(&s, db.Dialect.Rebind("SELECT displayname FROM tb_users WHERE id = ?"), id); err != nil {
				t.Fatal(err)
			}
			return s
		}
		if n := name(adminID); n != "" {
			t.Fatalf("user 2222 changed the admin's row: displayname %q", n)
		}
		if got != "OK: 2 rows affected" {
			t.Fatalf("setname: %q", got)
		}
		if n := name(userID); n != strconv.FormatInt(adminID, 10) {
			t.Fatalf("caller's displayname %q", n)
		}
		// A SQL action (custom_action 8) binds per statement too; it runs
		// on the pool after the answer.
		if got := serve(e, untrusted, "apientry", "sqlact", "authkey", key, "authid", "2222", "authpwd", "pw222222", "sparam1", strconv.FormatInt(adminID, 10)); got != "OK: done" {
			t.Fatalf("sqlact: %q", got)
		}
		field := func(col string, id int64) string {
			var s string
			if err := db.Get(&s, db.Dialect.Rebind("SELECT "+col+" FROM tb_users WHERE id = ?"), id); err != nil {
				t.Fatal(err)
			}
			return s
		}
		for deadline := time.Now().Add(20 * time.Second); field("name", userID) == "" && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if n := field("name", adminID); n != "" {
			t.Fatalf("the SQL action changed the admin's name: %q", n)
		}
		if n := field("name", userID); n != strconv.FormatInt(adminID, 10) {
			t.Fatalf("the SQL action set the caller's name to %q", n)
		}
		// A write then a SELECT in one transaction answers the rows.
		got = serve(e, untrusted, "apientry", "setshow", "authkey", key, "authid", "2222", "authpwd", "pw222222", "sparam1", "Zed")
		if got != "OK: Zed" {
			t.Fatalf("setshow: %q", got)
		}
		// A failing statement rolls the others back.
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('half', ?)",
			"*UPDATE tb_users SET displayname='[SPARAM1]' WHERE id=[USERID]; UPDATE tb_users SET username = 'admin' WHERE id=[USERID]")
		if _, err := e.ReloadTable(context.Background()); err != nil {
			t.Fatal(err)
		}
		got = serve(e, untrusted, "apientry", "half", "authkey", key, "authid", "2222", "authpwd", "pw222222", "sparam1", "Half")
		if !strings.HasPrefix(got, "ERROR: request failed (ref ") { // an enduser: no database message
			t.Fatalf("half: %q", got)
		}
		if n := name(userID); n != "Zed" {
			t.Fatalf("the failed row's first statement stayed: %q", n)
		}
	})
}
