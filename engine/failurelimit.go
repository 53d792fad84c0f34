package engine

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// failureLimits rate-limits failure actions (custom_action 51..58) per
// entry and per client IP (issue #10, item 8): anyone can make an entry
// fail, and each failure may send an SMS or an email. Token buckets of
// golang.org/x/time/rate refill failureactionrate (per entry) and
// failureactioniprate (per IP) tokens a minute, with a burst of one
// minute's worth. They live in the Engine, not in the rule table, so
// apireload does not refill them; they are per node (N nodes allow N times
// the rate). The zero value is ready.
type failureLimits struct {
	mu      sync.Mutex
	entries map[string]*rate.Limiter
	ips     map[netip.Addr]*ipBucket
}

type ipBucket struct {
	lim  *rate.Limiter
	last time.Time
}

// maxIPBuckets is the size past which idle IP buckets are dropped; a
// bucket idle for a minute is full, the same as a new one.
const maxIPBuckets = 4096

// allow takes one token of the entry's and of the IP's bucket, per the
// limits of cfg; 0 turns a limit off.
func (f *failureLimits) allow(cfg *Config, entry string, ip netip.Addr, now time.Time) bool {
	perEntry, perIP := cfg.Int("failureactionrate"), cfg.Int("failureactioniprate")
	f.mu.Lock()
	defer f.mu.Unlock()
	if perIP > 0 && ip.IsValid() {
		if f.ips == nil {
			f.ips = map[netip.Addr]*ipBucket{}
		}
		b := f.ips[ip]
		if b == nil {
			if len(f.ips) >= maxIPBuckets {
				for k, v := range f.ips {
					if now.Sub(v.last) > time.Minute {
						delete(f.ips, k)
					}
				}
			}
			b = &ipBucket{lim: rate.NewLimiter(perMinute(perIP), perIP)}
			f.ips[ip] = b
		}
		b.last = now
		tune(b.lim, perIP, now)
		if !b.lim.AllowN(now, 1) {
			return false
		}
	}
	if perEntry > 0 {
		if f.entries == nil {
			f.entries = map[string]*rate.Limiter{}
		}
		l := f.entries[entry]
		if l == nil {
			l = rate.NewLimiter(perMinute(perEntry), perEntry)
			f.entries[entry] = l
		}
		tune(l, perEntry, now)
		if !l.AllowN(now, 1) {
			return false
		}
	}
	return true
}

func perMinute(n int) rate.Limit { return rate.Limit(float64(n) / 60) }

// tune follows a changed option (reload) without refilling the bucket.
func tune(l *rate.Limiter, n int, now time.Time) {
	if l.Burst() != n {
		l.SetLimitAt(now, perMinute(n))
		l.SetBurstAt(now, n)
	}
}
