package engine_test

import (
	"strings"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

func TestLockoutAfterFailedLogins(t *testing.T) {
	f := newFixture(t)
	sets := map[string]string{"allowtrustedip": "0", "authlockoutfailures": "3"}
	node1 := mvtest.MustEngine(t, f.db, sets)
	node2 := mvtest.MustEngine(t, f.db, sets)
	attacker, other := "203.0.113.66", "203.0.113.67"
	wrong := []string{"apientry", "balance", "authkey", f.key, "authid", "enduser", "authpwd", "guess"}
	right := []string{"apientry", "balance", "authkey", f.key, "authid", "enduser", "authpwd", "endpass1"}
	for range 3 {
		if got := serve(node1, attacker, wrong...); !strings.HasPrefix(got, "ERROR: auth failed") {
			t.Fatalf("wrong password answered %q", got)
		}
	}
	if got := serve(node1, attacker, right...); !strings.HasPrefix(got, "ERROR: auth locked: too many failed logins from 203.0.113.66") {
		t.Fatalf("locked IP answered %q", got)
	}
	if got := serve(node1, other, right...); got != "Your credit is $5" {
		t.Fatalf("another IP answered %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(serve(node2, attacker, right...), "ERROR: auth locked") {
		if time.Now().After(deadline) {
			t.Fatal("node 2 does not refuse the locked IP within 5 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Loopback is trusted here (default config) and never locked.
	trusting := mvtest.MustEngine(t, f.db, map[string]string{"authlockoutfailures": "3"})
	for range 5 {
		serve(trusting, "127.0.0.1", wrong...)
	}
	if got := serve(trusting, "127.0.0.1", right...); got != "Your credit is $5" {
		t.Fatalf("trusted IP answered %q", got)
	}
}

func TestBannedIPsAreRefused(t *testing.T) {
	f := newFixture(t)
	mvtest.MustExec(t, f.db, "INSERT INTO tb_bannedips (ip, reason, created) VALUES ('198.51.100.0/24', 'abuse', ?)", time.Now().UTC())
	mvtest.MustExec(t, f.db, "INSERT INTO tb_bannedips (ip, reason, created, expires) VALUES ('203.0.113.5', 'old', ?, ?)", time.Now().UTC(), time.Now().UTC().Add(-time.Hour))
	e := mvtest.MustEngine(t, f.db, map[string]string{"allowtrustedip": "0"})
	right := []string{"apientry", "balance", "authkey", f.key, "authid", "enduser", "authpwd", "endpass1"}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := serve(e, "198.51.100.77", right...)
		if got == "ERROR: banned: requests from 198.51.100.77 are refused" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("banned network answered %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := serve(e, "203.0.113.5", right...); got != "Your credit is $5" {
		t.Fatalf("expired ban still refuses: %q", got)
	}
}
