package engine

import (
	"net/netip"
	"time"

	"mvapi/engine/ratelimit"
)

// failureLimits rate-limits failure actions (custom_action 51..58) per
// entry and per client IP (issue #10, item 8): anyone can make an entry
// fail, and each failure may send an SMS or an email. The token buckets
// (ratelimit.Keyed, golang.org/x/time/rate) refill failureactionrate (per
// entry) and failureactioniprate (per IP) tokens a minute, with a burst of
// one minute's worth. They live in the Engine, not in the rule table, so
// apireload does not refill them; they are per node (N nodes allow N times
// the rate). The zero value is ready.
type failureLimits struct {
	entries, ips ratelimit.Keyed
}

// allow takes one token of the IP's and then of the entry's bucket, per
// the limits of cfg; 0 turns a limit off.
func (f *failureLimits) allow(cfg *Config, entry string, ip netip.Addr, now time.Time) bool {
	perEntry, perIP := cfg.Int("failureactionrate"), cfg.Int("failureactioniprate")
	if perIP > 0 && ip.IsValid() && f.ips.Take(ip.String(), float64(perIP)/60, perIP, now) > 0 {
		return false
	}
	return perEntry <= 0 || f.entries.Take(entry, float64(perEntry)/60, perEntry, now) == 0
}
