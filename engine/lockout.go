package engine

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mvapi/engine/ratelimit"
	"mvapi/schema"
)

// Lockout is the default Limiter. It refuses the IPs and networks banned in
// tb_bannedips, and gives brute-force protection by client IP,
// shared by every node through tb_authfailures. After authlockoutfailures
// failed authentications within authlockoutwindow seconds an IP is locked
// for authlockouttime seconds; trusted IPs are never locked. The hot path
// reads an in-memory set of locked IPs (and bans) that is refreshed from
// the database every 2 seconds (a fixed interval, not a config option), so
// a lock set by one node reaches the others within that time, and a
// request costs no query. Serve counts a failure towards the lockout only
// when its kind is KindAuth, never for database trouble.
type Lockout struct {
	db      *schema.DB
	cfg     func() *Config
	log     interface{ Warn(string, ...any) }
	locked  atomic.Pointer[map[netip.Addr]time.Time]
	banned  atomic.Pointer[[]netip.Prefix] // tb_bannedips in force
	mu      sync.Mutex
	refresh time.Duration

	// preauth holds the per-IP token buckets of preauthrate.
	preauth ratelimit.Keyed

	// users are the users locked after failed guesses (UserFailed), by
	// their key in tb_authfailures ("user:ID").
	users atomic.Pointer[map[string]time.Time]
}

// NewLockout returns a Lockout over db reading options from cfg.
func NewLockout(db *schema.DB, cfg func() *Config, log interface{ Warn(string, ...any) }) *Lockout {
	l := &Lockout{db: db, cfg: cfg, log: log, refresh: 2 * time.Second}
	empty := map[netip.Addr]time.Time{}
	l.locked.Store(&empty)
	noUsers := map[string]time.Time{}
	l.users.Store(&noUsers)
	return l
}

// Allow refuses requests from a banned or locked IP, and preauth past
// preauthrate or maxnoncesperip.
func (l *Lockout) Allow(ctx context.Context, req *Request) error {
	if b := l.banned.Load(); b != nil && inList(*b, req.RemoteIP) {
		return fmt.Errorf("banned: requests from %s are refused", req.RemoteIP)
	}
	if req.Entry == "preauth" {
		if err := l.allowPreauth(ctx, req); err != nil {
			return err
		}
	}
	until, ok := (*l.locked.Load())[req.RemoteIP]
	if !ok || time.Now().After(until) {
		return nil
	}
	return fmt.Errorf("auth locked: too many failed logins from %s, try again in %d s", req.RemoteIP, int(time.Until(until).Seconds())+1)
}

// allowPreauth limits the nonces an untrusted IP may ask for: preauthrate
// per second with a burst of preauthburst (in memory, per node; IPv6 per
// /64, since one host holds a whole /64), and at most maxnoncesperip
// unexpired nonces (counted in tb_nonces, so for all nodes together).
func (l *Lockout) allowPreauth(ctx context.Context, req *Request) error {
	cfg := l.cfg()
	if !req.Untrusted && cfg.trusted(req.RemoteIP) {
		return nil
	}
	if rate := cfg.Float("preauthrate"); rate > 0 {
		if wait := l.preauth.Take(ipKey(req.RemoteIP), rate, cfg.Int("preauthburst"), time.Now()); wait > 0 {
			return errRateLimited(wait)
		}
	}
	if most := cfg.Int("maxnoncesperip"); most > 0 {
		n, err := nonceStore{l.db}.outstanding(ctx, req.RemoteIP)
		if err != nil {
			l.log.Warn("preauth: count nonces", "ip", req.RemoteIP.String(), "err", err)
			return nil // the insert that follows reports a broken database
		}
		if n >= most {
			return fmt.Errorf("too many unexpired nonces for %s: use one of them or wait until they expire", req.RemoteIP)
		}
	}
	return nil
}

// AuthFailed counts a failure of the request's IP and locks it at the limit.
func (l *Lockout) AuthFailed(req *Request) {
	cfg := l.cfg()
	if cfg.trusted(req.RemoteIP) || cfg.Int("authlockoutfailures") <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.record(ctx, req.RemoteIP.String(), cfg, func(until time.Time) {
		l.log.Warn("client IP locked after failed authentications", "ip", req.RemoteIP.String(), "until", until)
		l.add(req.RemoteIP, until)
	}); err != nil {
		l.log.Warn("record failed authentication", "ip", req.RemoteIP.String(), "err", err)
	}
}

// userKey is a user's key in tb_authfailures (never a valid IP).
func userKey(u *User) string { return "user:" + strconv.FormatInt(u.ID, 10) }

// UserAllowed refuses a user locked after failed guesses (UserFailed).
func (l *Lockout) UserAllowed(u *User) error {
	locked := *l.users.Load()
	if len(locked) == 0 {
		return nil // no user locked: no key to build
	}
	until, ok := locked[userKey(u)]
	if !ok || time.Now().After(until) {
		return nil
	}
	return fmt.Errorf("auth locked: too many failed attempts of user %s, try again in %d s", u.Username, int(time.Until(until).Seconds())+1)
}

// UserFailed counts a failed guess of a user (a recharge PIN) and locks the
// user at authlockoutfailures within authlockoutwindow, for
// authlockouttime, whatever the IP: guesses relayed by a trusted portal
// stop too. Only the user (or an admin acting as the user) can fail the
// user's guesses, so no stranger can lock an account this way.
func (l *Lockout) UserFailed(u *User) {
	cfg := l.cfg()
	if u == nil || cfg.Int("authlockoutfailures") <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	key := userKey(u)
	if err := l.record(ctx, key, cfg, func(until time.Time) {
		l.log.Warn("user locked after failed attempts", "user", u.Username, "until", until)
		l.addUser(key, until)
	}); err != nil {
		l.log.Warn("record failed attempt", "user", u.Username, "err", err)
	}
}

func (l *Lockout) addUser(key string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := *l.users.Load()
	next := make(map[string]time.Time, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[key] = until
	l.users.Store(&next)
}

// record counts a failure of key (an IP, or a user's key) and calls locked
// when the count reaches the limit.
func (l *Lockout) record(ctx context.Context, key string, cfg *Config, locked func(until time.Time)) error {
	d := l.db.Dialect
	now := time.Now().UTC()
	window := now.Add(-time.Duration(cfg.Int("authlockoutwindow")) * time.Second)
	// A failure outside the window starts a new count.
	res, err := l.db.ExecContext(ctx, failureCountSQL(d), window, window, now, key)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := l.db.ExecContext(ctx, failureInsertSQL(d), key, now); err != nil {
			// Another node inserted it first: count this failure there.
			if _, err2 := l.db.ExecContext(ctx, failureAddSQL(d), key); err2 != nil {
				return err
			}
		}
	}
	until := now.Add(time.Duration(cfg.Int("authlockouttime")) * time.Second)
	res, err = l.db.ExecContext(ctx, lockIPSQL(d),
		until, now, key, cfg.Int("authlockoutfailures"))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		lockouts.Add(1)
		locked(until)
	}
	return nil
}

func (l *Lockout) add(ip netip.Addr, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := *l.locked.Load()
	next := make(map[netip.Addr]time.Time, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[ip] = until
	l.locked.Store(&next)
}

// Run refreshes the set of locked IPs from the database until ctx ends.
func (l *Lockout) Run(ctx context.Context) {
	t := time.NewTicker(l.refresh)
	defer t.Stop()
	for {
		if err := l.load(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("load locked IPs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *Lockout) load(ctx context.Context) error {
	rows, err := l.db.QueryContext(ctx, lockedIPsSQL(l.db.Dialect), time.Now().UTC())
	if err != nil {
		return err
	}
	defer rows.Close()
	next := map[netip.Addr]time.Time{}
	users := map[string]time.Time{}
	for rows.Next() {
		var ip string
		var until time.Time
		if err := rows.Scan(&ip, &until); err != nil {
			return err
		}
		if a, err := netip.ParseAddr(ip); err == nil {
			next[a] = until
		} else if strings.HasPrefix(ip, "user:") {
			users[ip] = until
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	l.locked.Store(&next)
	l.users.Store(&users)
	l.mu.Unlock()
	return l.loadBanned(ctx)
}

// loadBanned reads the bans in force of tb_bannedips (an IP or a CIDR each).
func (l *Lockout) loadBanned(ctx context.Context) error {
	var ips []string
	if err := l.db.SelectContext(ctx, &ips, bannedIPsSQL(l.db.Dialect), time.Now().UTC()); err != nil {
		return err
	}
	banned := make([]netip.Prefix, 0, len(ips))
	for _, s := range ips {
		if p, err := ParseIPList(s); err == nil {
			banned = append(banned, p...)
		} else {
			l.log.Warn("tb_bannedips: not an IP or CIDR, ignored", "ip", s)
		}
	}
	l.banned.Store(&banned)
	return nil
}

// failureCountSQL counts a failure of an IP; one outside the window (the
// first two ?) starts a new count at time ?.
var failureCountSQL = schema.Statement(`UPDATE tb_authfailures SET
 failures = CASE WHEN first < ? THEN 1 ELSE failures + 1 END,
 first = CASE WHEN first < ? THEN ? ELSE first END WHERE ip = ?`)

var failureInsertSQL = schema.Statement("INSERT INTO tb_authfailures (ip, failures, first) VALUES (?, 1, ?)")

var failureAddSQL = schema.Statement("UPDATE tb_authfailures SET failures = failures + 1 WHERE ip = ?")

var lockIPSQL = schema.Statement("UPDATE tb_authfailures SET locked_until = ?, failures = 0, first = ? WHERE ip = ? AND failures >= ?")

var lockedIPsSQL = schema.Statement("SELECT ip, locked_until FROM tb_authfailures WHERE locked_until > ?")

var bannedIPsSQL = schema.Statement("SELECT ip FROM tb_bannedips WHERE expires IS NULL OR expires > ?")
