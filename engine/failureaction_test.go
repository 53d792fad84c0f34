package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

// Issue #10, item 8: 30 unauthenticated requests to the README's own
// example row (rating, 52 -> SMS to admin) with username=Your bank account
// is locked… sent 30 SMS carrying the attacker's text.
func TestFailureActionsAreRateLimitedAndCarryNoUnauthenticatedText(t *testing.T) {
	db := mvtest.MustDB(t)
	key := mvtest.APIKey(t, db)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, custom_action, custom_action_body) VALUES ('rating', 52, ?)",
		"***TO=+3612345678\nrating failed for {username}: {result}")
	sets := map[string]string{"smsgatewayurl": "http://127.0.0.1:1/send?to={to}&text={text}", "authlockoutfailures": "0"}
	e := mvtest.MustEngine(t, db, sets)
	const lure = "Your bank account is locked, call +1 555 0100"
	sms := func() []string {
		var bodies []string
		if err := db.Select(&bodies, "SELECT body FROM tb_outbox WHERE kind = 'sms' AND entry = 'rating' ORDER BY id"); err != nil {
			t.Fatal(err)
		}
		return bodies
	}
	// Buckets refill while the test runs (10 a minute per entry, 3 per IP):
	// on a loaded machine a few more may pass, never 30.
	start := time.Now()
	refill := func(perMinute float64) int { return int(time.Since(start).Minutes() * perMinute) }
	for i := 0; i < 30; i++ {
		got := serve(e, untrusted, "apientry", "rating", "authkey", key, "bnum", "38970123456", "username", lure)
		if !strings.HasPrefix(got, "ERROR: auth failed") {
			t.Fatalf("request %d: %q", i, got)
		}
	}
	bodies := sms()
	if n, max := len(bodies), 3+refill(3); n < 3 || n > max { // failureactioniprate
		t.Fatalf("30 failures from one IP sent %d SMS, want 3 (at most %d)", n, max)
	}
	for _, b := range bodies {
		if strings.Contains(b, "bank") || b != "rating failed for : ERROR: auth failed: missing authid" {
			t.Fatalf("SMS %q", b)
		}
	}
	// The buckets survive apireload.
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := len(sms())
	serve(e, untrusted, "apientry", "rating", "authkey", key, "username", lure)
	if n := len(sms()); n > before && refill(3) == 0 {
		t.Fatalf("after apireload: %d SMS, was %d: the bucket was refilled", n, before)
	}
	// From many IPs the entry's own limit holds.
	for i := 0; i < 30; i++ {
		serve(e, fmt.Sprintf("198.51.100.%d", i+1), "apientry", "rating", "authkey", key, "username", lure)
	}
	if n, max := len(sms()), 10+refill(10); n < 10 || n > max { // failureactionrate
		t.Fatalf("30 failures from 30 IPs: %d SMS in all, want 10 (at most %d)", n, max)
	}
}

// {param:name} is the row author's explicit request for the caller's text.
func TestFailureActionExplicitParamSpelling(t *testing.T) {
	db := mvtest.MustDB(t)
	key := mvtest.APIKey(t, db)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, custom_action, custom_action_body) VALUES ('rating', 52, ?)",
		"***TO=+3612345678\nfailed: {param:username} / {txt}")
	e := mvtest.MustEngine(t, db, map[string]string{"smsgatewayurl": "http://127.0.0.1:1/send?to={to}&text={text}"})
	serve(e, untrusted, "apientry", "rating", "authkey", key, "username", "bob", "txt", "hello")
	var body string
	if err := db.Get(&body, db.Dialect.Rebind("SELECT body FROM tb_outbox WHERE entry = ?"), "rating"); err != nil {
		t.Fatal(err)
	}
	if body != "failed: bob /" { // trimmed: {txt} is empty without authentication
		t.Fatalf("body %q", body)
	}
}
