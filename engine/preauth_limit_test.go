package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

func countNonces(t *testing.T, f *fixture, ip string) int {
	t.Helper()
	var n int
	if err := f.db.GetContext(context.Background(), &n, f.db.Dialect.Rebind("SELECT COUNT(*) FROM tb_nonces WHERE ip = ?"), ip); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPreauthFloodIsLimited is issue 10 #16, exactly as written: 3000
// preauth requests from one IP stored 3000 rows in 1.4 s, kept for an
// hour. Now one IP gets preauthburst (20) at once and preauthrate (10) a
// second after that, answered `ERROR: rate limit exceeded, retry in N s`,
// and never holds more than maxnoncesperip unexpired nonces.
func TestPreauthFloodIsLimited(t *testing.T) {
	f := newFixture(t)
	e := mvtest.MustEngine(t, f.db, map[string]string{"preauthrate": "10"}) // the default; test engines turn it off
	const attacker = "203.0.113.16"
	start := time.Now()
	ok, limited := 0, 0
	for range 3000 {
		switch got := serve(e, attacker, "apientry", "preauth"); {
		case strings.HasPrefix(got, "OK: new nonce is:"):
			ok++
		case strings.HasPrefix(got, "ERROR: rate limit exceeded, retry in "):
			limited++
		default:
			t.Fatalf("preauth answered %q", got)
		}
	}
	took := time.Since(start)
	most := 20 + int(took.Seconds()*10) + 1
	t.Logf("3000 preauth in %v: %d nonces, %d refused (at most %d allowed)", took, ok, limited, most)
	if ok > most || ok < 20 {
		t.Fatalf("%d of 3000 preauth requests got a nonce in %v, want 20..%d", ok, took, most)
	}
	if n := countNonces(t, f, attacker); n != ok {
		t.Fatalf("%d nonce rows for %d nonces", n, ok)
	}
	// Another address is not affected; IPv6 addresses of one /64 share a bucket.
	if got := serve(e, "203.0.113.17", "apientry", "preauth"); !strings.HasPrefix(got, "OK: new nonce is:") {
		t.Fatalf("another IP answered %q", got)
	}
	v6 := mvtest.MustEngine(t, f.db, map[string]string{"preauthburst": "2", "preauthrate": "0.01"})
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		got := serve(v6, ip, "apientry", "preauth")
		if want := i < 2; strings.HasPrefix(got, "OK") != want {
			t.Fatalf("preauth %d from the /64 answered %q", i+1, got)
		}
	}

	// maxnoncesperip caps what one IP holds, whatever the rate.
	capped := mvtest.MustEngine(t, f.db, map[string]string{"preauthrate": "0", "maxnoncesperip": "5"})
	const other = "198.51.100.16"
	for i := range 5 {
		if got := serve(capped, other, "apientry", "preauth"); !strings.HasPrefix(got, "OK: new nonce is:") {
			t.Fatalf("nonce %d answered %q", i+1, got)
		}
	}
	if got := serve(capped, other, "apientry", "preauth"); got != "ERROR: too many unexpired nonces for 198.51.100.16: use one of them or wait until they expire" {
		t.Fatalf("sixth nonce answered %q", got)
	}
	if n := countNonces(t, f, other); n != 5 {
		t.Fatalf("%d nonces stored, want 5", n)
	}
	// A trusted address (a portal on this host) is exempt.
	for range 30 {
		if got := serve(e, "127.0.0.1", "apientry", "preauth"); !strings.HasPrefix(got, "OK: new nonce is:") {
			t.Fatalf("loopback preauth answered %q", got)
		}
	}
}

// The per-address count preauth runs on every request reads the index of
// migration 00017, not the whole of tb_nonces (SQLite's plan).
func TestNonceCountUsesTheIPIndex(t *testing.T) {
	f := newFixture(t)
	rows, err := f.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM tb_nonces WHERE ip = ? AND expires > ?", "203.0.113.16", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "ix_tb_nonces_ip") {
		t.Fatalf("the count scans tb_nonces: plan %q", got)
	}
}
