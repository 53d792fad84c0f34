package engine

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"mvapi/engine/ratelimit"
)

// rateLimited is the Limiter the engine uses: the given one (the lockout
// and bans) first, then token buckets per client IP (ratelimitip), per
// user named by authid (ratelimituser), per entry (ratelimitentries) and
// for all requests (ratelimitglobal). The buckets live in memory, per node
// and outside the rule table, so apireload keeps them. Loopback and
// trusted addresses are exempt unless ratelimittrusted=1: a reverse proxy
// or portal there speaks for many clients.
type rateLimited struct {
	Limiter
	cfg func() *Config

	ip, user, entry, global ratelimit.Keyed

	// opts are the limits of the config last seen, read from it once (a
	// Config never changes: a reload makes a new one).
	opts atomic.Pointer[limitOptions]
}

// limitOptions are the rate limit options of one Config, parsed.
type limitOptions struct {
	cfg                             *Config
	trusted                         bool // ratelimittrusted=1
	ip, user, global                float64
	ipBurst, userBurst, globalBurst int
	entries                         map[string]entryRate // ratelimitentries; nil: none
}

// options returns the limits of cfg, parsed once per Config.
func (l *rateLimited) options(cfg *Config) *limitOptions {
	if o := l.opts.Load(); o != nil && o.cfg == cfg {
		return o
	}
	o := &limitOptions{
		cfg: cfg, trusted: cfg.Int("ratelimittrusted") != 0,
		ip: cfg.Float("ratelimitip"), ipBurst: cfg.Int("ratelimitipburst"),
		user: cfg.Float("ratelimituser"), userBurst: cfg.Int("ratelimituserburst"),
		global: cfg.Float("ratelimitglobal"), globalBurst: cfg.Int("ratelimitglobalburst"),
	}
	if raw := cfg.Get("ratelimitentries"); strings.TrimSpace(raw) != "" {
		o.entries, _ = parseEntryRates(raw) // checked when the config was loaded (checkEntryRates)
	}
	l.opts.Store(o)
	return o
}

// entryRate is one entry's limit of ratelimitentries.
type entryRate struct {
	perSecond float64
	burst     int
}

// withRateLimits wraps next with the rate limit options of cfg.
func withRateLimits(next Limiter, cfg func() *Config) Limiter {
	return &rateLimited{Limiter: next, cfg: cfg}
}

// Allow refuses a request past one of its limits with "rate limit
// exceeded, retry in N s" (HTTP 429 with httpstrictresponse).
func (l *rateLimited) Allow(ctx context.Context, req *Request) error {
	if err := l.Limiter.Allow(ctx, req); err != nil {
		return err
	}
	cfg := l.cfg()
	o := l.options(cfg)
	if !o.trusted && !req.Untrusted && (req.RemoteIP.IsLoopback() || cfg.trusted(req.RemoteIP)) {
		return nil
	}
	var now time.Time
	take := func(k *ratelimit.Keyed, key string, perSecond float64, burst int) error {
		if now.IsZero() {
			now = time.Now()
		}
		if burst <= 0 {
			burst = max(1, int(2*perSecond))
		}
		if d := k.Take(key, perSecond, burst, now); d > 0 {
			return errRateLimited(d)
		}
		return nil
	}
	// A limit that is off (0) costs no key and no clock.
	if o.ip > 0 {
		if err := take(&l.ip, ipKey(req.RemoteIP), o.ip, o.ipBurst); err != nil {
			return err
		}
	}
	if o.user > 0 {
		user := strings.ToLower(strings.TrimSpace(req.Params.Get("authid")))
		if req.Session != nil {
			user = strings.ToLower(req.Session.Username)
		}
		if user != "" {
			if err := take(&l.user, user, o.user, o.userBurst); err != nil {
				return err
			}
		}
	}
	if r, ok := o.entries[req.Entry]; ok {
		if err := take(&l.entry, req.Entry, r.perSecond, r.burst); err != nil {
			return err
		}
	}
	if o.global > 0 {
		return take(&l.global, "", o.global, o.globalBurst)
	}
	return nil
}

// ipKey is the bucket of a client address: the address, or for IPv6 its
// /64 (one host or site holds a whole /64).
func ipKey(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// parseEntryRates reads ratelimitentries: comma separated entry=rate or
// entry=rate/burst (requests per second, and at once).
func parseEntryRates(raw string) (map[string]entryRate, error) {
	out := map[string]entryRate{}
	for _, item := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		name, spec, ok := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" {
			return nil, fmt.Errorf("%q: want entry=rate or entry=rate/burst", item)
		}
		rateText, burstText, hasBurst := strings.Cut(spec, "/")
		perSecond, err := strconv.ParseFloat(strings.TrimSpace(rateText), 64)
		if err != nil || perSecond < 0 {
			return nil, fmt.Errorf("%q: the rate is not a number of requests per second", item)
		}
		r := entryRate{perSecond: perSecond}
		if hasBurst {
			if r.burst, err = strconv.Atoi(strings.TrimSpace(burstText)); err != nil || r.burst < 1 {
				return nil, fmt.Errorf("%q: the burst is not a whole number of at least 1", item)
			}
		}
		out[name] = r
	}
	return out, nil
}

// checkEntryRates refuses a ratelimitentries value that does not parse,
// so that a typo is an error at start or reload instead of no limit.
func checkEntryRates(raw string) error {
	_, err := parseEntryRates(raw)
	return err
}

// errRateLimited is the refusal of a request past a limit, retry after d.
func errRateLimited(d time.Duration) error {
	secs := ratelimit.RetrySeconds(d)
	return &Error{Kind: KindRateLimited, Message: fmt.Sprintf("rate limit exceeded, retry in %d s", secs), RetryAfter: secs}
}

// UserAllowed and UserFailed pass the per-user lockout (UserLimiter)
// through to the wrapped limiter, when it has one.
func (l *rateLimited) UserAllowed(u *User) error {
	if ul, ok := l.Limiter.(UserLimiter); ok {
		return ul.UserAllowed(u)
	}
	return nil
}

// UserFailed records a failed guess of u with the wrapped limiter.
func (l *rateLimited) UserFailed(u *User) {
	if ul, ok := l.Limiter.(UserLimiter); ok {
		ul.UserFailed(u)
	}
}

var _ UserLimiter = (*rateLimited)(nil)
