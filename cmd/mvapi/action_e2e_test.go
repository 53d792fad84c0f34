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

// TestActionKindsThatAreOffFailToCompile: a row whose action kind global
// config leaves off (or that does not exist) fails apireload, and the answer
// names every bad row with what to set.
func TestActionKindsThatAreOffFailToCompile(t *testing.T) {
	s := startServer(t, "", strictSets)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.exec(`INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES
		('mailme', 'SELECT 1', 1, 'hello'),
		('textme', 'SELECT 1', 52, '***TO=+3612345678' || char(10) || 'failed'),
		('runme', 'SELECT 1', 7, '/bin/echo {txt}'),
		('bootme', 'SELECT 1', 56, ''),
		('ringme', 'SELECT 1', 3, ''),
		('oddme', 'SELECT 1', 9, '')`)
	body := s.apireload("root", "adminpw1")
	wantPrefix(t, body, "ERROR: apireload failed, old table kept: 6 bad row(s)")
	for _, want := range []string{
		`fname="mailme": custom_action: code 1 (email): email is off: set smtphost and smtpfrom in global config`,
		`fname="textme": custom_action: code 52 (SMS): SMS is off: set smsgatewayurl in global config`,
		`fname="runme": custom_action: code 7 (command): command actions are off: set allowcmdaction=1 in global config`,
		`fname="bootme": custom_action: code 56 (reboot): reboot is off: set rebootcommand`,
		`fname="ringme": custom_action: code 3 (call ring) is not available in this server`,
		`fname="oddme": custom_action: unknown code 9`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("%q lacks %q", body, want)
		}
	}
}
