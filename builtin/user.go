package builtin

import (
	"context"
	"errors"
	"strconv"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
)

var newUserParams = []string{"u_username", "u_password", "u_name", "u_email", "u_phone", "u_currency", "u_country", "u_address"}

func registerUser(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "status", Access: engine.UserAPI, Handler: status, NeedsUser: true,
		Doc: "Own online status: 0 doesn't exist, 1 offline, 2 online, 3 calling, 4 speaking.",
	})
	newuseru := engine.PublicAPI
	newuseru.ReqKey = 1
	reg.Add(engine.Builtin{
		Name: "newuseru", Access: newuseru, Params: newUserParams, Handler: newUser(false),
		Doc: "Public sign-up of an enduser (api key only).",
	})
	for _, name := range []string{"newuseri", "newuser", "adduser"} { // the last two: the reference's deprecated names
		reg.Add(engine.Builtin{
			Name: name, Access: engine.SensitiveAPI, Params: append(append([]string{}, newUserParams...), "credit"),
			Handler: newUser(true),
			Doc:     "Add a user from a trusted source (admin, allowed IPs), with optional credit and u_type.",
		})
	}
	reg.Add(engine.Builtin{
		Name: "login", Access: engine.UserAPI, Handler: login, NeedsUser: true,
		Doc: "Checks the credentials (for a web portal's login page): OK: USERNAME (id N).",
	})
}

// UserStatus is the reference's status code of a user: 0 doesn't exist, 1
// offline, 2 online, 3 calling, 4 speaking. A user is registered (online
// at least) by the reference's definition, the one apidefneedregister
// uses: status > 0 and statusdate within registerexpiry (now - 0.1 day by
// default) and enabled <> 0 and temporarydisabled <> 1.
func UserStatus(u *engine.User, cfg *engine.Config) int {
	if u == nil {
		return 0
	}
	if !IsRegistered(u, cfg, time.Now()) {
		return 1
	}
	if u.Status < 2 || u.Status > 4 {
		return 2
	}
	return u.Status
}

// IsRegistered is the reference's definition of a registered user (see
// UserStatus).
func IsRegistered(u *engine.User, cfg *engine.Config, now time.Time) bool {
	return u.Enabled != 0 && u.TemporaryDisabled != 1 &&
		u.Registered(now, time.Duration(cfg.RegisterExpiry)*time.Second)
}

func status(ctx context.Context, c *engine.Call) (format.Result, error) {
	if st, ok, err := switchUserStatus(ctx, c, c.User); ok {
		return engine.OK(strconv.Itoa(st)), err
	}
	return engine.OK(strconv.Itoa(UserStatus(c.User, c.Config))), nil
}

func newUser(trusted bool) engine.Handler {
	return func(ctx context.Context, c *engine.Call) (format.Result, error) {
		n := engine.NewUser{
			Username: c.Param("u_username"), Password: c.Param("u_password"), Name: c.Param("u_name"),
			Email: c.Param("u_email"), Phone: c.Param("u_phone"), Currency: c.Param("u_currency"),
			Country: c.Param("u_country"), Address: c.Param("u_address"), DeviceID: c.Param("deviceid"),
		}
		if n.Username == "" || n.Password == "" {
			return engine.Errorf("missing parameter: u_username and u_password are required"), nil
		}
		if trusted {
			if s := c.Param("credit"); s != "" {
				v, err := parseCredit("credit", s, false)
				if err != nil {
					return engine.Errorf("invalid credit: %v", err), nil
				}
				n.Credit = v
			}
			if s := c.Param("u_type"); s != "" {
				t, err := strconv.Atoi(s)
				if err != nil || t < 0 {
					return engine.Errorf("invalid u_type: %q", s), nil
				}
				if t == engine.TypeSrvAdmin && !srvAdminCaller(c) {
					return engine.Failf(engine.KindDenied, "access denied: only a srvadmin grants the srvadmin level"), nil
				}
				n.Type = t
			}
		}
		id, err := engine.CreateUser(ctx, c.DB(), n)
		switch {
		case errors.Is(err, engine.ErrUserExists):
			return engine.Errorf("username already exists: %s", n.Username), nil
		case err != nil && n.Validate() != nil:
			return engine.Errorf("%v", err), nil
		case err != nil:
			return format.Result{}, err
		}
		return engine.OK("user added: id=" + strconv.FormatInt(id, 10)), nil
	}
}

func login(_ context.Context, c *engine.Call) (format.Result, error) {
	return engine.OK(c.User.Username + " (id " + strconv.FormatInt(c.User.ID, 10) + ")"), nil
}
