package engine

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"time"
)

// Client-visible authentication failures. Wrong user and wrong password
// share one message so that usernames cannot be probed.
const (
	msgWrongKey  = "auth failed: wrong key"
	msgWrongUser = "auth failed: wrong user or password"
	msgNoAuthID  = "auth failed: missing authid"
	msgIP        = "auth failed: ip not allowed"
)

// Trusted reports whether ip is trusted per allowtrustedip, trustlanip and
// trustediplist.
func (c *Config) Trusted(ip netip.Addr) bool { return c.trusted(ip) }

func (c *Config) trusted(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	switch {
	case c.AllowTrustedIP >= 1 && ip.IsLoopback():
		return true
	case c.AllowTrustedIP >= 2 && c.TrustLAN && (ip.IsPrivate() || ip.IsLinkLocalUnicast()):
		return true
	case c.AllowTrustedIP >= 3 && inList(c.TrustedIPs, ip):
		return true
	}
	return false
}

// allowedAt reports whether a user type may call an entry of req_user level.
func allowedAt(level, userType int) bool {
	var rank int
	switch userType {
	case TypeSrvAdmin:
		rank = LevelSrvAdmin
	case TypeAdmin:
		rank = LevelAdmins
	case TypeOwner, TypeReseller:
		rank = LevelOwners
	case TypeSupport:
		rank = LevelSupport
	case TypeEndUser:
		rank = LevelSIPUsers
	default:
		rank = LevelAll
	}
	return level != LevelDisabled && rank <= level
}

// authenticate establishes who calls: it fills c.User, c.Admin and
// c.Trusted or returns why not: an *Error (KindAuth for a failed
// authentication, which the lockout counts; KindDenied, KindNotFound) or
// an internal error.
func (e *Engine) authenticate(ctx context.Context, c *Call) error {
	cfg, a, p := c.Config, &c.Entry.Access, c.Req.Params
	c.Trusted = !c.Req.Untrusted && cfg.trusted(c.Req.RemoteIP)
	if s := c.Req.Session; s != nil && cfg.Int("apitrustfromconsole") != 0 {
		return e.sessionAuth(ctx, c, s)
	}
	if cfg.TrustedIPOnly && !c.Trusted {
		return &Error{Kind: KindAuth, Message: msgIP}
	}
	if a.ReqIP == 1 && !c.Trusted && !inList(cfg.IPAuth, c.Req.RemoteIP) {
		return &Error{Kind: KindAuth, Message: msgIP}
	}
	// A key that is sent is checked, from a trusted IP too (a client
	// testing its configuration from localhost must hear that its key is
	// wrong); only a trusted IP may leave it out.
	if a.ReqKey == 1 && cfg.APIKey != "" && (!c.Trusted || p.Has("authkey")) &&
		subtle.ConstantTimeCompare([]byte(p.Get("authkey")), []byte(cfg.APIKey)) != 1 {
		return &Error{Kind: KindAuth, Message: msgWrongKey}
	}
	authID := p.Get("authid")
	adminEntry := a.ReqUser <= LevelAdmins
	trustAdmin := c.Trusted && (cfg.DefTrustAdmin == 1 || cfg.DefTrustAdmin == 2)

	if a.ReqUser == LevelPublic {
		if authID != "" {
			u, err := e.findUser(ctx, authID, userMode(cfg, a), &c.user)
			if err != nil {
				return err
			}
			if u != nil && !u.Disabled() {
				c.User = u
			}
		}
		return nil
	}
	if authID == "" {
		if trustAdmin {
			// A trusted portal acts for a user by naming no user and
			// sending targetuser.
			c.Admin = true
			return e.impersonate(ctx, c)
		}
		return &Error{Kind: KindAuth, Message: msgNoAuthID}
	}
	if adminEntry && cfg.DefTrustAdmin == 2 && !c.Trusted {
		return &Error{Kind: KindAuth, Message: msgIP}
	}
	mode := userMode(cfg, a)
	u, err := e.findUser(ctx, authID, mode, &c.user)
	if err != nil {
		return err
	}
	// A trusted IP may name a user without a secret (the reference's web
	// server use); a secret that is sent is always checked.
	sentSecret := p.Has("authmd5") || p.Has("authpwd")
	if u == nil {
		if trustAdmin && !sentSecret {
			return &Error{Kind: KindAuth, Message: msgWrongUser}
		}
		// An unknown user goes through the same checks as a known one
		// (nonce challenge, missing secret) and gets the same answers:
		// usernames cannot be probed.
		if err := e.checkSecret(ctx, c, decoyUser, authID, mode); err != nil {
			return err
		}
		return &Error{Kind: KindAuth, Message: msgWrongUser}
	}
	c.identified = u
	if !trustAdmin || sentSecret {
		if err := e.checkSecret(ctx, c, u, authID, mode); err != nil {
			return err
		}
		c.Verified = true
	}
	if u.Disabled() {
		return Fail(KindAuth, "auth failed: user disabled")
	}
	// A request that names a user acts with that user's level: a trusted
	// IP makes a request admin only when it names no user or an admin
	// (an enduser's own password sent through a portal on the same host
	// gives that enduser's rights, nothing more).
	if !allowedAt(a.ReqUser, u.Type) && !(trustAdmin && adminEntry && u.IsAdmin()) {
		return Fail(KindDenied, "access denied: %s needs a higher user level", c.Entry.Name)
	}
	if adminEntry && cfg.DefTrustAdmin == 4 && !c.Trusted {
		return &Error{Kind: KindAuth, Message: msgIP}
	}
	c.User, c.Caller = u, u
	c.Admin = u.IsAdmin()
	return e.impersonate(ctx, c)
}

// impersonate lets an admin act as the user named by targetuser.
func (e *Engine) impersonate(ctx context.Context, c *Call) error {
	t := c.Req.Params.Get("targetuser")
	if t == "" || !c.Admin {
		return nil
	}
	tu, err := e.findUser(ctx, t, 4, nil)
	if err != nil {
		return err
	}
	if tu == nil {
		return Fail(KindNotFound, "targetuser not found")
	}
	if tu.Type == TypeSrvAdmin && (c.Caller == nil || c.Caller.Type != TypeSrvAdmin) {
		return Fail(KindDenied, "access denied: only a srvadmin may act as a srvadmin")
	}
	c.User = tu
	return nil
}

// sessionAuth runs a request of an already logged-in console session as
// that user (apitrustfromconsole=1) or with admin rights (=2), without
// key or password.
func (e *Engine) sessionAuth(ctx context.Context, c *Call, s *User) error {
	a := &c.Entry.Access
	if a.ReqIP == 1 && !c.Trusted && !inList(c.Config.IPAuth, c.Req.RemoteIP) {
		return &Error{Kind: KindAuth, Message: msgIP}
	}
	if a.ReqUser <= LevelAdmins && c.Config.DefTrustAdmin == 4 && !c.Trusted {
		return &Error{Kind: KindAuth, Message: msgIP}
	}
	c.User, c.Caller, c.Verified = s, s, true
	c.Admin = s.IsAdmin() || c.Config.Int("apitrustfromconsole") == 2
	if !c.Admin && !allowedAt(c.Entry.Access.ReqUser, s.Type) && c.Entry.Access.ReqUser != LevelPublic {
		return Fail(KindDenied, "access denied: %s needs a higher user level", c.Entry.Name)
	}
	return e.impersonate(ctx, c)
}

// userMode resolves req_user_mode against apiv2auth and apialtauth of
// the request's config.
func userMode(cfg *Config, a *Access) int {
	mode := a.ReqUserMode
	if mode == 0 {
		mode = cfg.DefUserMode
	}
	switch cfg.AltAuth {
	case 0:
		mode = 6
	case 1:
		mode = 4
	}
	return mode
}

// findUser looks the authid up as a username, then (mode 2 and 4) as a
// numeric id, then (mode 4) as a PIN, reading the user into into (nil: a
// new User).
func (e *Engine) findUser(ctx context.Context, authID string, mode int, into *User) (*User, error) {
	u, err := e.users.ByUsername(ctx, authID, into)
	if u != nil || err != nil || mode == 6 {
		return u, err
	}
	if u, err = e.users.ByID(ctx, authID, into); u != nil || err != nil {
		return u, err
	}
	if mode == 4 {
		return e.users.ByPIN(ctx, authID, into)
	}
	return nil, nil
}

// checkSecret verifies authmd5 or authpwd, with the nonce when login is
// required for this entry.
func (e *Engine) checkSecret(ctx context.Context, c *Call, u *User, authID string, mode int) error {
	cfg, p := c.Config, c.Req.Params
	login := c.Entry.Access.ReqUserLogin
	if login == Inherit {
		login = cfg.DefNeedLogin
	}
	var nonce string
	needNonce := login >= 2 || (login == 1 && !c.Trusted)
	if sent := p.Get("nonce"); sent != "" || needNonce {
		n, err := e.nonces.find(ctx, sent, c.Req.RemoteIP, login == 3 || login == 5)
		if err != nil {
			return err
		}
		if n == "" && needNonce {
			fresh, err := e.nonces.issue(ctx, c.Req.RemoteIP, cfg.NonceExpiry)
			if err != nil {
				return err
			}
			return Fail(KindDenied, "new nonce is:%sEOF", fresh) // a challenge, not a failed login
		}
		nonce = n
	}
	// Nonce login protects against replay only when the hash covers the
	// nonce: then only the authv3_ formula (or a clear password from a
	// trusted IP) is accepted.
	if needNonce {
		sum := p.Get("authmd5")
		v3 := len(sum) > 7 && strings.EqualFold(sum[:7], "authv3_")
		if !v3 && !(c.Trusted && p.Has("authpwd")) {
			return Fail(KindAuth, "auth failed: nonce login needs authmd5 in the authv3_ form, computed with the nonce")
		}
	}
	secrets := []string{u.Password}
	if mode != 6 && u.PIN != "" {
		secrets = append(secrets, u.PIN)
	}
	if sum := p.Get("authmd5"); sum != "" {
		for _, s := range secrets {
			if md5Matches(sum, authID, s, cfg.MD5Salt, p.Get("authsalt1"), p.Get("authsalt2"), nonce) {
				// A nonce the hash covered (authv3_) or the entry required is
				// single-use; a hash is refused when replayed (replay.go).
				v3 := len(sum) > 7 && strings.EqualFold(sum[:7], "authv3_")
				salt2 := p.Get("authsalt2")
				if !v3 {
					nonce, salt2 = "", "" // not covered by a ck5Gp hash
				}
				if err := e.spendNonce(ctx, c, nonce, login); err != nil {
					return err
				}
				return e.checkReplay(ctx, c, u, sum, p.Get("authsalt1"), salt2, nonce)
			}
		}
		return &Error{Kind: KindAuth, Message: msgWrongUser}
	}
	if pwd, ok := p["authpwd"]; ok {
		for _, s := range secrets {
			if s != "" && subtle.ConstantTimeCompare([]byte(pwd), []byte(s)) == 1 {
				if needNonce {
					return e.spendNonce(ctx, c, nonce, login)
				}
				return nil
			}
		}
		return &Error{Kind: KindAuth, Message: msgWrongUser}
	}
	// Mode 4: a PIN given as authid is itself the secret.
	if mode == 4 && u.PIN != "" && subtle.ConstantTimeCompare([]byte(authID), []byte(u.PIN)) == 1 {
		return nil
	}
	return Fail(KindAuth, "auth failed: send authmd5 or authpwd")
}

// md5Matches checks both formulas of the reference:
//
//	authv3_ + MD5(MD5(tU29m + authid + authpwd + authsalt1) + authsalt2 + serversalt + nonce)
//	MD5(ck5Gp + authid + authpwd + serversalt + authsalt1)
//
// comparing the hex case-insensitively in constant time.
func md5Matches(sent, authID, pwd, serverSalt, salt1, salt2, nonce string) bool {
	// Built in stack buffers: this runs on every authmd5 request.
	var buf [256]byte
	var want [32]byte
	if len(sent) > 7 && strings.EqualFold(sent[:7], "authv3_") {
		sent = sent[7:]
		var inner [32]byte
		sum := md5.Sum(append(append(append(append(buf[:0], "tU29m"...), authID...), pwd...), salt1...))
		hex.Encode(inner[:], sum[:])
		sum = md5.Sum(append(append(append(append(buf[:0], inner[:]...), salt2...), serverSalt...), nonce...))
		hex.Encode(want[:], sum[:])
	} else {
		sum := md5.Sum(append(append(append(append(append(buf[:0], "ck5Gp"...), authID...), pwd...), serverSalt...), salt1...))
		hex.Encode(want[:], sum[:])
	}
	if len(sent) != len(want) {
		return false
	}
	// ASCII lower case is enough: only ASCII can equal hex digits.
	var got [32]byte
	for i := range got {
		c := sent[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		got[i] = c
	}
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// MD5Hex is the lower-case hex MD5 of s.
func MD5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// AuthMD5 computes the simplified authmd5 a client sends (ck5Gp formula).
func AuthMD5(authID, pwd, serverSalt, salt1 string) string {
	return MD5Hex("ck5Gp" + authID + pwd + serverSalt + salt1)
}

// authorize applies the per-user checks: registration, credit and rule;
// a refusal is an *Error of KindDenied.
func (e *Engine) authorize(ctx context.Context, c *Call) error {
	a, cfg, u := &c.Entry.Access, c.Config, c.User
	if err := e.completeUser(ctx, c); err != nil {
		return err
	}
	if u != nil && !u.IsAdmin() && a.ReqUser != LevelPublic {
		reg := a.ReqUserRegister
		if reg == Inherit {
			reg = cfg.DefNeedRegister
		}
		if reg >= 1 && !u.Registered(time.Now(), time.Duration(cfg.RegisterExpiry)*time.Second) {
			return Fail(KindDenied, "access denied: user not registered")
		}
		if reg == 2 && u.IP != c.Req.RemoteIP.String() {
			return Fail(KindDenied, "access denied: request not from the registered IP")
		}
		min := a.ReqUserCredit
		if min == 2 {
			min = cfg.MinCreditOnRoute
		}
		if min != 1 && u.Postpaid == 0 && u.Credit < min {
			return Fail(KindDenied, "access denied: not enough credit")
		}
	}
	if c.Entry.Rule != nil {
		ok, err := runRule(c)
		if err != nil {
			e.log.Warn("rule failed", "entry", c.Entry.Name, "err", err)
			return Fail(KindDenied, "access denied: rule could not be evaluated")
		}
		if !ok {
			return Fail(KindDenied, "access denied: rule")
		}
	}
	return nil
}

// ErrLoginFailed is returned by ConsoleLogin for any refused login.
var ErrLoginFailed = errors.New("login failed")

// ConsoleLogin checks an admin console login from ip: an enabled admin,
// srvadmin or support user with this password. A banned or locked IP is
// refused with the limiter's error; every other refusal is ErrLoginFailed
// and counts towards the lockout like a failed API authentication.
func (e *Engine) ConsoleLogin(ctx context.Context, username, password string, ip netip.Addr) (*User, error) {
	req := &Request{RemoteIP: ip, Transport: "console", Params: Params{}}
	if err := e.limiter.Allow(ctx, req); err != nil {
		return nil, err
	}
	u, err := e.users.ByUsername(ctx, username, nil)
	if err == nil {
		err = e.users.complete(ctx, u) // a console session's user is used whole
	}
	if err != nil {
		return nil, err
	}
	if u == nil || u.Disabled() || subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) != 1 ||
		(!u.IsAdmin() && u.Type != TypeSupport) {
		e.limiter.AuthFailed(req)
		return nil, ErrLoginFailed
	}
	return u, nil
}
