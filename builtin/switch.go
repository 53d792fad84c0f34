package builtin

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
)

// Registration state from the SIP switch (engine.Switch; package
// switchboard has Kamailio's): with switch=kamailio, reguser, regstat,
// epreg and endpoints answer from the switch's registrations, status,
// verifyuser and presence_get take online/offline from them, and unreg
// removes registrations at once. With switch=none each entry keeps the
// answer it has without a switch (its fallback).

// regEntries are the registration entries the switch answers.
var regEntries = map[string]engine.Handler{
	"reguser": switchRegUser, "regstat": switchRegStat, "epreg": switchRegUser, "endpoints": endpoints,
}

// viaSwitch answers name from the switch when one is configured, else
// runs fallback.
func viaSwitch(name string, fallback engine.Handler) engine.Handler {
	h, ok := regEntries[name]
	if !ok {
		return fallback
	}
	return func(ctx context.Context, c *engine.Call) (format.Result, error) {
		if c.Engine.Switch(c.Config) == nil {
			return fallback(ctx, c)
		}
		return h(ctx, c)
	}
}

// switchRegUser: reguser [usr] (empty or all: every registration), and
// epreg, from the switch.
func switchRegUser(ctx context.Context, c *engine.Call) (format.Result, error) {
	user := firstParam(c, "usr", "username", "user")
	if strings.EqualFold(user, "all") {
		user = ""
	}
	if user != "" {
		if !switchTokenRE.MatchString(user) {
			return engine.Errorf("bad username %q", clipText(user, 40)), nil
		}
		if ok, err := userExists(ctx, c, user); err != nil || !ok {
			if err != nil {
				return format.Result{}, err
			}
			return engine.Failf(engine.KindNotFound, "no such user: %s", user), nil
		}
	}
	cs, err := c.Engine.Switch(c.Config).Contacts(ctx, c.Config, user)
	if err != nil {
		return format.Result{}, err
	}
	rows := make([][]string, 0, len(cs))
	for _, x := range cs {
		rows = append(rows, []string{x.User, x.Address, x.Received, x.UserAgent, strconv.Itoa(x.Expires)})
	}
	return table(strconv.Itoa(len(cs))+" registrations", []string{"username", "contact", "received", "useragent", "expires"}, rows), nil
}

// switchRegStat: how many users and contacts the switch has registered.
func switchRegStat(ctx context.Context, c *engine.Call) (format.Result, error) {
	cs, err := c.Engine.Switch(c.Config).Contacts(ctx, c.Config, "")
	if err != nil {
		return format.Result{}, err
	}
	users := map[string]bool{}
	for _, x := range cs {
		users[x.User] = true
	}
	u, n := strconv.Itoa(len(users)), strconv.Itoa(len(cs))
	return table("registered users: "+u+", contacts: "+n, []string{"users", "contacts"}, [][]string{{u, n}}), nil
}

// endpoints: the registered users with their number of contacts.
func endpoints(ctx context.Context, c *engine.Call) (format.Result, error) {
	cs, err := c.Engine.Switch(c.Config).Contacts(ctx, c.Config, "")
	if err != nil {
		return format.Result{}, err
	}
	var rows [][]string
	count := map[string]int{}
	for _, x := range cs {
		if count[x.User] == 0 {
			rows = append(rows, []string{x.User, ""})
		}
		count[x.User]++
	}
	for _, r := range rows {
		r[1] = strconv.Itoa(count[r[0]])
	}
	return table(strconv.Itoa(len(rows))+" endpoints", []string{"username", "contacts"}, rows), nil
}

func userExists(ctx context.Context, c *engine.Call, name string) (bool, error) {
	rows, err := loadPresence(ctx, c.DB(), []string{name})
	return rows[name] != nil, err
}

// switchPresence replaces the status of rows (from tb_users) by the
// switch's registrations when a switch is configured: online (2) while a
// user has a contact, offline otherwise.
func switchPresence(ctx context.Context, c *engine.Call, rows map[string]*presenceRow) error {
	sw := c.Engine.Switch(c.Config)
	if sw == nil || len(rows) == 0 {
		return nil
	}
	online := map[string]bool{}
	if len(rows) == 1 {
		for name := range rows {
			cs, err := sw.Contacts(ctx, c.Config, name)
			if err != nil {
				return err
			}
			online[name] = len(cs) > 0
		}
	} else {
		cs, err := sw.Contacts(ctx, c.Config, "")
		if err != nil {
			return err
		}
		for _, x := range cs {
			online[x.User] = true
		}
	}
	now := utcNow()
	for name, p := range rows {
		was := p.Status
		p.Status, p.StatusDate.Time, p.StatusDate.Valid = 0, now, true
		if online[name] {
			// A call status (3 calling, 4 speaking) that tb_users holds
			// stays; otherwise online.
			p.Status = 2
			if was == 3 || was == 4 {
				p.Status = was
			}
		}
	}
	return nil
}

// switchUserStatus is the status entry's answer for u from the switch;
// ok is false when no switch is configured.
func switchUserStatus(ctx context.Context, c *engine.Call, u *engine.User) (st int, ok bool, err error) {
	if c.Engine.Switch(c.Config) == nil || u == nil {
		return 0, false, nil
	}
	row := &presenceRow{Username: u.Username, Status: u.Status, StatusDate: u.StatusDate}
	if err := switchPresence(ctx, c, map[string]*presenceRow{u.Username: row}); err != nil {
		return 0, true, err
	}
	return row.switchStatus(c.Config), true, nil
}

// switchUnreg removes registrations through the switch at once (unreg
// with a switch configured); ok is false when none is.
func switchUnreg(ctx context.Context, c *engine.Call, user, ip string) (res format.Result, ok bool, err error) {
	sw := c.Engine.Switch(c.Config)
	if sw == nil {
		return format.Result{}, false, nil
	}
	if strings.EqualFold(user, "all") {
		user = ""
	} else if exists, err := userExists(ctx, c, user); err != nil || !exists {
		if err != nil {
			return format.Result{}, true, err
		}
		return engine.Failf(engine.KindNotFound, "no such user: %s", user), true, nil
	}
	start := time.Now()
	n, err := sw.Unregister(ctx, c.Config, user, ip)
	if err != nil {
		return format.Result{}, true, err
	}
	c.Engine.Logger().Info("unreg", "user", orDash(user), "contacts", n, "took", time.Since(start))
	return engine.OK(strconv.Itoa(n) + " registrations removed"), true, nil
}

// switchCredit refuses a call of the caller to number when a switch is
// configured and the caller's credit does not cover one minute at the
// destination's rate (tb_rates, as rating finds it); postpaid users and
// calls without a user (trusted admin) pass. ok is false when the call may
// go on.
func switchCredit(ctx context.Context, c *engine.Call, number string) (res format.Result, refused bool, err error) {
	u := c.User
	if c.Engine.Switch(c.Config) == nil || u == nil || u.Postpaid != 0 || number == "" {
		return format.Result{}, false, nil
	}
	r, err := lookupRate(ctx, c.DB(), number)
	if errors.Is(err, sql.ErrNoRows) {
		return format.Result{}, false, nil
	}
	if err != nil {
		return format.Result{}, true, err
	}
	if u.Credit < r.Price || u.Credit < c.Config.Float("mincreditonroute") {
		return engine.Failf(engine.KindDenied, "not enough credit for %s (%s): %s %s per minute", number, orDash(r.Destination),
			strconv.FormatFloat(r.Price, 'f', -1, 64), r.Currency), true, nil
	}
	return format.Result{}, false, nil
}
