package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestRateLimits is issue 10's rate limits section, exactly as written:
// 3000 successful balance requests in 0.43 s from one IP all passed. Now
// the per-user, per-IP, per-entry and global buckets refuse the flood with
// `ERROR: rate limit exceeded, retry in N s`; loopback and trusted
// addresses are exempt unless ratelimittrusted=1; apireload keeps the
// state.
func TestRateLimits(t *testing.T) {
	f := newFixture(t)
	// Test engines have the limits off; these are the defaults.
	defaults := map[string]string{}
	for _, name := range []string{"ratelimitip", "ratelimitipburst", "ratelimituser", "ratelimituserburst"} {
		o, _ := engine.LookupOption(name)
		defaults[name] = o.Default
	}
	withDefaults := func(sets map[string]string) map[string]string {
		for k, v := range defaults {
			if _, ok := sets[k]; !ok {
				sets[k] = v
			}
		}
		return sets
	}
	e := mvtest.MustEngine(t, f.db, withDefaults(map[string]string{}))
	flood := func(e *engine.Engine, n int, req func(i int) (ip string, kv []string)) (passed int, took time.Duration) {
		start := time.Now()
		for i := range n {
			ip, kv := req(i)
			got := serve(e, ip, kv...)
			switch {
			case strings.HasPrefix(got, "ERROR: rate limit exceeded, retry in "):
			case strings.HasPrefix(got, "ERROR"):
				t.Fatalf("request %d answered %q", i, got)
			default:
				passed++
			}
		}
		return passed, time.Since(start)
	}
	within := func(what string, passed int, took time.Duration, burst int, perSecond float64) {
		t.Helper()
		most := burst + int(took.Seconds()*perSecond) + 1
		t.Logf("%s: %d passed in %v (burst %d, at most %d)", what, passed, took, burst, most)
		if passed < burst || passed > most {
			t.Fatalf("%s: %d requests passed in %v, want %d..%d", what, passed, took, burst, most)
		}
	}
	balance := []string{"apientry", "balance", "authkey", f.key, "authid", "enduser", "authpwd", "endpass1"}

	// Per user (20/s, burst 40): one user's balance from one address.
	passed, took := flood(e, 3000, func(int) (string, []string) { return "203.0.113.30", balance })
	within("3000 balance of one user from one IP", passed, took, 40, 20)
	// The user's bucket is empty from any address now; apireload keeps it.
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := serve(e, "198.51.100.30", balance...); !strings.HasPrefix(got, "ERROR: rate limit exceeded, retry in ") {
		t.Fatalf("after apireload, another IP for the same user answered %q", got)
	}

	// Per IP (100/s, burst 200): apitest needs no user.
	passed, took = flood(e, 3000, func(int) (string, []string) { return "203.0.113.31", []string{"apientry", "apitest"} })
	within("3000 apitest from one IP", passed, took, 200, 100)
	// IPv6: one /64 shares a bucket.
	passed, took = flood(e, 1000, func(i int) (string, []string) {
		return fmt.Sprintf("2001:db8:5:6::%x", i+1), []string{"apientry", "apitest"}
	})
	within("1000 apitest from one IPv6 /64", passed, took, 200, 100)

	// Per entry and global, from ever new addresses.
	entries := mvtest.MustEngine(t, f.db, withDefaults(map[string]string{"ratelimitentries": "apitest=1/3, rating=50"}))
	passed, took = flood(entries, 100, func(i int) (string, []string) {
		return fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), []string{"apientry", "apitest"}
	})
	within("100 apitest from 100 IPs with apitest=1/3", passed, took, 3, 1)
	global := mvtest.MustEngine(t, f.db, withDefaults(map[string]string{"ratelimitglobal": "2", "ratelimitglobalburst": "5"}))
	passed, took = flood(global, 100, func(i int) (string, []string) {
		return fmt.Sprintf("10.2.%d.%d", i/250, i%250+1), []string{"apientry", "apitest"}
	})
	within("100 apitest from 100 IPs with ratelimitglobal=2/5", passed, took, 5, 2)

	// Loopback is exempt, unless ratelimittrusted=1.
	passed, _ = flood(e, 300, func(int) (string, []string) { return "127.0.0.1", []string{"apientry", "apitest"} })
	if passed != 300 {
		t.Fatalf("loopback: %d of 300 passed", passed)
	}
	strict := mvtest.MustEngine(t, f.db, map[string]string{"ratelimittrusted": "1", "ratelimitip": "1", "ratelimitipburst": "2"})
	passed, took = flood(strict, 20, func(int) (string, []string) { return "127.0.0.1", []string{"apientry", "apitest"} })
	within("loopback with ratelimittrusted=1", passed, took, 2, 1)
	if got := serve(strict, "127.0.0.1", "apientry", "apitest"); got != "ERROR: rate limit exceeded, retry in 1 s" {
		t.Fatalf("refusal %q", got)
	}
}
