package engine

import (
	"context"
	"crypto/subtle"
)

// AdminCaller reports whether the caller of a public entry (the openapi
// document) would be an admin on an admin entry: the call already runs
// with admin rights, or comes from a trusted IP acting as admin
// (apideftrustadmin 1 or 2), or names an admin by authid with the api key
// and a correct authpwd or authmd5. A wrong secret counts towards the
// lockout like any failed login, so this is no way around it.
func (e *Engine) AdminCaller(ctx context.Context, c *Call) (bool, error) {
	cfg, p := c.Config, c.Req.Params
	if c.Admin || c.Trusted && (cfg.DefTrustAdmin == 1 || cfg.DefTrustAdmin == 2) {
		return true, nil
	}
	u := c.User
	if u == nil || !u.IsAdmin() || !(p.Has("authmd5") || p.Has("authpwd")) {
		return false, nil
	}
	if cfg.DefTrustAdmin == 2 || cfg.DefTrustAdmin == 4 { // admin entries from trusted IPs only
		return false, nil
	}
	if cfg.APIKey != "" && subtle.ConstantTimeCompare([]byte(p.Get("authkey")), []byte(cfg.APIKey)) != 1 {
		return false, nil
	}
	if err := e.checkSecret(ctx, c, u, p.Get("authid"), userMode(cfg, &AdminAPI)); err != nil {
		if ErrorKind(err) == KindAuth {
			e.limiter.AuthFailed(c.Req)
			return false, nil
		}
		return false, err
	}
	return true, nil
}
