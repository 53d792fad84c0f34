package main

import (
	"fmt"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

func TestDBAInsertsCustomEntryThenApireload(t *testing.T) {
	mvtest.ForEachDB(t, testDBAInsertsCustomEntryThenApireload)
}

func testDBAInsertsCustomEntryThenApireload(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("dave", "secret11", engine.TypeEndUser, 4.5)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	auth := s.md5Auth("dave", "secret11")

	s.exec(`INSERT INTO tb_api (fname, req_key, req_user, customsql) VALUES ('mycredit', 1, 12,
		'SELECT credit FROM tb_users WHERE id = [USERID]')`)
	_, body := s.get(append([]string{"apientry", "mycredit"}, auth...)...)
	wantPrefix(t, body, "ERROR: unknown apientry: mycredit")

	body = s.apireload("root", "adminpw1")
	wantPrefix(t, body, "OK: apireload: ")
	if !strings.Contains(body, "added: mycredit") {
		t.Fatalf("apireload answer %q does not name the added entry", body)
	}
	_, body = s.get(append([]string{"apientry", "mycredit"}, auth...)...)
	wantPrefix(t, body, "OK: 4.5")

	// Unchanged table: apireload says so.
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK: apireload: ")
	if body := s.apireload("root", "adminpw1"); !strings.Contains(body, "no changes") {
		t.Fatalf("second apireload %q, want no changes", body)
	}

	// Change and remove are reported too.
	s.exec(`UPDATE tb_api SET customsql = 'SELECT credit * 2 FROM tb_users WHERE id = [USERID]' WHERE fname = 'mycredit'`)
	if body := s.apireload("root", "adminpw1"); !strings.Contains(body, "changed: mycredit") {
		t.Fatalf("apireload %q, want changed: mycredit", body)
	}
	_, body = s.get(append([]string{"apientry", "mycredit"}, auth...)...)
	wantPrefix(t, body, "OK: 9")
	s.exec(`DELETE FROM tb_api WHERE fname = 'mycredit'`)
	if body := s.apireload("root", "adminpw1"); !strings.Contains(body, "removed: mycredit") {
		t.Fatalf("apireload %q, want removed: mycredit", body)
	}
}

func TestBadRowKeepsOldTableServing(t *testing.T) {
	mvtest.ForEachDB(t, testBadRowKeepsOldTableServing)
}

func testBadRowKeepsOldTableServing(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("erin", "secret22", engine.TypeEndUser, 2)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	auth := s.md5Auth("erin", "secret22")
	s.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('good', 'SELECT ''fine''')`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK:")

	var badID, badSQLID int64
	d := s.m.DB.Dialect
	s.m.DB.QueryRow(d.ReturningID(`INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES ('newbad', 'SELECT 1', 99, 'x')`)).Scan(&badID)
	s.m.DB.QueryRow(d.ReturningID(`INSERT INTO tb_api (fname, customsql) VALUES ('badsql', 'SELECT ''unterminated')`)).Scan(&badSQLID)
	s.exec(`UPDATE tb_api SET customsql = 'SELECT ''changed''' WHERE fname = 'good'`)

	status, body := s.get(append([]string{"apientry", "apireload"}, s.md5Auth("root", "adminpw1")...)...)
	if status != 499 {
		t.Errorf("status %d, want 499", status)
	}
	wantPrefix(t, body, "ERROR: apireload failed, old table kept:")
	for _, want := range []string{
		fmt.Sprintf(`tb_api id=%d fname="newbad": custom_action: unknown code 99`, badID),
		fmt.Sprintf(`tb_api id=%d fname="badsql": customsql:`, badSQLID),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("answer %q\n does not contain %q", body, want)
		}
	}
	// The old table still serves, with the old definition of "good".
	_, body = s.get(append([]string{"apientry", "good"}, auth...)...)
	wantPrefix(t, body, "OK: fine")
	_, body = s.get(append([]string{"apientry", "balance"}, auth...)...)
	wantPrefix(t, body, "Your credit is $2")
	_, body = s.get(append([]string{"apientry", "newbad"}, auth...)...)
	wantPrefix(t, body, "ERROR: unknown apientry")
}

func TestCustomSQLInjectionIsBound(t *testing.T) { mvtest.ForEachDB(t, testCustomSQLInjectionIsBound) }

func testCustomSQLInjectionIsBound(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("frank", "secret33", engine.TypeEndUser, 1)
	s.user("grace", "secret44", engine.TypeEndUser, 1)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('finduser', 'SELECT username FROM tb_users WHERE username = ''[SPARAM1]''')`)
	s.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('likeuser', 'SELECT username FROM tb_users WHERE username LIKE ''%[SPARAM1]%''')`)
	s.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('setname', '*UPDATE tb_users SET name = {newname} WHERE id = [USERID]')`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK:")
	auth := s.md5Auth("frank", "secret33")
	count := func() (n int) {
		s.m.DB.Get(&n, "SELECT COUNT(*) FROM tb_users")
		return
	}
	before := count()

	_, body := s.get(append([]string{"apientry", "finduser", "sparam1", "grace"}, auth...)...)
	wantPrefix(t, body, "OK: grace")
	for _, payload := range []string{"x' OR '1'='1", "x'; DROP TABLE tb_users;--", `x" OR "1"="1`, "%' OR 1=1 --"} {
		for _, entry := range []string{"finduser", "likeuser"} {
			_, body := s.get(append([]string{"apientry", entry, "sparam1", payload}, auth...)...)
			wantPrefix(t, body, "OK: 0 rows")
		}
	}
	_, body = s.get(append([]string{"apientry", "setname", "newname", "z'; DELETE FROM tb_users;--"}, auth...)...)
	wantPrefix(t, body, "OK: 1 rows affected")
	if n := count(); n != before {
		t.Fatalf("tb_users has %d rows, had %d", n, before)
	}
	var name string
	s.m.DB.Get(&name, "SELECT name FROM tb_users WHERE username = 'frank'")
	if name != "z'; DELETE FROM tb_users;--" {
		t.Fatalf("name stored as %q", name)
	}
	// Positional param1 maps to sparam1 on a custom entry.
	_, body = s.get(append([]string{"apientry", "finduser", "param1", "grace"}, auth...)...)
	wantPrefix(t, body, "OK: grace")
}

func TestBalanceRowMakesItPublic(t *testing.T) { mvtest.ForEachDB(t, testBalanceRowMakesItPublic) }

func testBalanceRowMakesItPublic(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("heidi", "secret55", engine.TypeEndUser, 7.25)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	status, body := s.get("apientry", "balance", "authid", "heidi")
	if status != 499 {
		t.Fatalf("balance without credentials answered %d %q before the row", status, body)
	}
	// The reference's example: fname balance, req_key 0, req_user 14.
	s.exec(`INSERT INTO tb_api (fname, req_key, req_user, req_user_mode) VALUES ('balance', 0, 14, 4)`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK:")
	_, body = s.get("apientry", "balance", "authid", "heidi")
	wantPrefix(t, body, "Your credit is $7.25")
}

func TestRuleConditionDeniesAccess(t *testing.T) { mvtest.ForEachDB(t, testRuleConditionDeniesAccess) }

func testRuleConditionDeniesAccess(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("ivan", "secret66", engine.TypeEndUser, 5)
	s.user("judy", "secret77", engine.TypeEndUser, 500)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	rule := s.m.DB.Dialect.Ident("rule")
	s.exec(`INSERT INTO tb_api (fname, customsql, ` + rule + `) VALUES ('vip', 'SELECT ''welcome''', 'user.credit >= 100 && params.lang != "xx"')`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK:")
	_, body := s.get(append([]string{"apientry", "vip"}, s.md5Auth("ivan", "secret66")...)...)
	wantPrefix(t, body, "ERROR: access denied: rule")
	_, body = s.get(append([]string{"apientry", "vip"}, s.md5Auth("judy", "secret77")...)...)
	wantPrefix(t, body, "OK: welcome")

	s.exec(`INSERT INTO tb_api (fname, customsql, ` + rule + `) VALUES ('broken', 'SELECT 1', 'user.credit >')`)
	body = s.apireload("root", "adminpw1")
	if !strings.Contains(body, `fname="broken": rule:`) {
		t.Fatalf("apireload %q does not name the bad rule", body)
	}
}
