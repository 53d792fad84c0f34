package engine_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// Issue #10, item 7: request parameters overrode user fields in {name}.

// "… WHERE callerid = {userid}" with &userid=1 read user 1's CDRs.
func TestRequestParameterNeverReplacesAUserFieldInCustomSQL(t *testing.T) {
	db := mvtest.MustDB(t)
	victim := mvtest.MustUser(t, db, engine.NewUser{Username: "victim", Password: "victimpw1"})
	mvtest.MustUser(t, db, engine.NewUser{Username: "mallory", Password: "mallorypw1"})
	key := mvtest.APIKey(t, db)
	mvtest.MustExec(t, db, "INSERT INTO tb_cdrs (callerid, called) VALUES (?, '36301111111')", victim)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('mycdrs', 'SELECT called FROM tb_cdrs WHERE callerid = {userid}')")
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('echo', 'SELECT {param:userid} AS a, {note} AS b')")
	e := mvtest.MustEngine(t, db, nil)
	got := serve(e, untrusted, "apientry", "mycdrs", "authkey", key, "authid", "mallory", "authpwd", "mallorypw1", "userid", strconv.FormatInt(victim, 10))
	if strings.Contains(got, "36301111111") || got != "OK: 0 rows" {
		t.Fatalf("&userid=%d: %q: another user's CDRs", victim, got)
	}
	// Without a user a user field is NULL, not the request's value.
	mvtest.MustExec(t, db, "UPDATE tb_api SET req_user = 14, req_key = 0 WHERE fname = 'mycdrs'")
	e = mvtest.MustEngine(t, db, nil)
	if got := serve(e, untrusted, "apientry", "mycdrs", "userid", strconv.FormatInt(victim, 10)); got != "OK: 0 rows" {
		t.Fatalf("public entry with &userid: %q", got)
	}
	// Request values stay reachable: names no user field has, and {param:name}.
	res := e.Serve(context.Background(), request(untrusted, "apientry", "echo", "authkey", key, "authid", "mallory", "authpwd", "mallorypw1", "userid", "77", "note", "hi"))
	if len(res.Rows) != 1 || strings.Join(res.Rows[0], ",") != "77,hi" {
		t.Fatalf("echo: %q %v", res.Text, res.Rows)
	}
}

// "***TO={email}" with &email=attacker@… sent the outbox mail to the attacker.
func TestRequestParameterNeverReplacesAUserFieldInAnActionBody(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass12", Email: "ann@example.com"})
	key := mvtest.APIKey(t, db)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES ('mycalls', 'SELECT 1', 1, ?)",
		"***TO={email}\n***SUBJECT=Your calls, {username}\nnote: {note}")
	e := mvtest.MustEngine(t, db, map[string]string{"smtphost": "127.0.0.1", "smtpport": "1", "smtptls": "none", "smtpfrom": "mvapi@example.com"})
	got := serve(e, untrusted, "apientry", "mycalls", "authkey", key, "authid", "ann", "authpwd", "annpass12",
		"email", "attacker@evil.example", "username", "x", "note", "hello")
	if got != "OK: 1" {
		t.Fatalf("mycalls: %q", got)
	}
	var out struct {
		Recipients string `db:"recipients"`
		Subject    string `db:"subject"`
		Body       string `db:"body"`
	}
	if err := db.Get(&out, "SELECT recipients, subject, body FROM tb_outbox WHERE entry = 'mycalls'"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.Recipients, "attacker") || !strings.Contains(out.Recipients, "ann@example.com") {
		t.Fatalf("mail to %q", out.Recipients)
	}
	if out.Subject != "Your calls, ann" || out.Body != "note: hello" {
		t.Fatalf("subject %q body %q", out.Subject, out.Body)
	}
}
