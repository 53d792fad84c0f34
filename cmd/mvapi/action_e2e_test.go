package main

import (
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestSQLActionsOnSuccessAndFailure: custom_action 8 runs after a success,
// 58 after a failure, each with keywords bound, and never the other one.
func TestSQLActionsOnSuccessAndFailure(t *testing.T) {
	mvtest.ForEachDB(t, testSQLActionsOnSuccessAndFailure)
}

func testSQLActionsOnSuccessAndFailure(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("vera", "verapass", engine.TypeEndUser, 1)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.exec(`INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES
		('note', 'SELECT ''noted''', 8, 'INSERT INTO tb_cdrs (caller, called) VALUES ([USERNAME], {memo})')`)
	s.exec(`INSERT INTO tb_api (fname, custom_action, custom_action_body) VALUES
		('rating', 58, 'INSERT INTO tb_cdrs (caller, called) VALUES (''failed'', [USERNAME])')`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK:")
	auth := s.md5Auth("vera", "verapass")

	_, body := s.get(append([]string{"apientry", "note", "memo", "x'); DROP TABLE tb_users;--"}, auth...)...)
	wantPrefix(t, body, "OK: noted")
	_, body = s.get(append([]string{"apientry", "rating"}, auth...)...)
	wantPrefix(t, body, "ERROR: missing parameter")

	waitRows := func(q string, want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			var n int
			s.m.DB.Get(&n, q)
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d rows, want %d", q, n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitRows("SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'vera' AND called = 'x''); DROP TABLE tb_users;--'", 1)
	waitRows("SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'failed' AND called = 'vera'", 1)
	waitRows("SELECT COUNT(*) FROM tb_users", 2)
	// A successful rating does not fire its failure action.
	s.exec("INSERT INTO tb_rates (prefix, destination, price) VALUES ('1', 'USA', 0.01)")
	_, body = s.get(append([]string{"apientry", "rating", "bnum", "1555"}, auth...)...)
	wantPrefix(t, body, "0.01 USD, Destination: USA")
	time.Sleep(100 * time.Millisecond)
	waitRows("SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'failed'", 1)
}

func TestUnavailableActionCodesFailToCompile(t *testing.T) {
	s := startServer(t, "", strictSets)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.exec(`INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES ('mailme', 'SELECT 1', 1, 'hello')`)
	body := s.apireload("root", "adminpw1")
	wantPrefix(t, body, "ERROR: apireload failed, old table kept:")
	if want := `custom_action: code 1 (email) is not available in this server`; !strings.Contains(body, want) {
		t.Fatalf("%q lacks %q", body, want)
	}
}
