package builtin

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// The registrar entries read the registration columns the switch
// maintains (tb_users.status, statusdate, ip) with the reference's
// definition of a registered user: status > 0 and statusdate > now - 0.1
// day (registerexpiry) and enabled <> 0 and temporarydisabled <> 1; the
// same definition as apidefneedregister, status and verifyuser (see
// UserStatus). With switch=kamailio both answer from the switch's
// registrations instead (switch.go).

func registerRegistrar(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "reguser", Access: engine.AdminAPI, Params: []string{"usr"}, Handler: viaSwitch("reguser", regUser),
		Doc: "Registered users: usr empty lists their usernames, usr=all lists them with status, statusdate and ip, usr=NAME answers that user's registration.",
	})
	reg.Add(engine.Builtin{
		Name: "regstat", Access: engine.AdminAPI, Handler: viaSwitch("regstat", regStat),
		Doc: "Registrar statistics: registered users, enabled users and all users.",
	})
}

// maxRegUsers bounds the list answers of reguser.
const maxRegUsers = 1000

type regRow struct {
	Username   string         `db:"username"`
	Status     int            `db:"status"`
	StatusDate sql.NullTime   `db:"statusdate"`
	IP         sql.NullString `db:"ip"`
	Enabled    int            `db:"enabled"`
	TempOff    int            `db:"temporarydisabled"`
}

// registeredSince is the oldest statusdate that counts as registered.
func registeredSince(cfg *engine.Config) time.Time {
	return utcNow().Add(-time.Duration(cfg.RegisterExpiry) * time.Second)
}

func regUser(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	usr := firstParam(c, "usr", "username", "user")
	since := registeredSince(c.Config)
	if usr != "" && !strings.EqualFold(usr, "all") {
		var rows []regRow
		if err := db.SelectContext(ctx, &rows, regUserOneSQL(db.Dialect), usr); err != nil {
			return format.Result{}, err
		}
		if len(rows) == 0 {
			return engine.Errorf("no such user: %s", clipText(usr, 64)), nil
		}
		r := rows[0]
		u := &engine.User{Status: r.Status, StatusDate: r.StatusDate, Enabled: r.Enabled, TemporaryDisabled: r.TempOff}
		if !IsRegistered(u, c.Config, time.Now()) {
			return engine.OK(r.Username + ": not registered"), nil
		}
		return table(r.Username+": registered", regColumns, [][]string{regRowValues(r)}), nil
	}
	var rows []regRow
	if err := db.SelectContext(ctx, &rows, regUsersSQL(db.Dialect), since); err != nil {
		return format.Result{}, err
	}
	n := strconv.Itoa(len(rows)) + " registered users"
	if len(rows) == maxRegUsers {
		n = "the first " + n
	}
	if usr == "" {
		names := make([]string, len(rows))
		for i, r := range rows {
			names[i] = r.Username
		}
		if len(names) == 0 {
			return engine.OK(n), nil
		}
		return engine.OK(n + ": " + strings.Join(names, ",")), nil
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = regRowValues(r)
	}
	return table(n, regColumns, out), nil
}

var regColumns = []string{"username", "status", "statusdate", "ip"}

func regRowValues(r regRow) []string {
	date := ""
	if r.StatusDate.Valid {
		date = r.StatusDate.Time.UTC().Format(time.DateTime)
	}
	return []string{r.Username, strconv.Itoa(r.Status), date, r.IP.String}
}

func regStat(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	var st struct {
		Registered int `db:"registered"`
		Enabled    int `db:"enabled"`
		All        int `db:"total"`
	}
	if err := db.GetContext(ctx, &st, regStatSQL(db.Dialect), registeredSince(c.Config)); err != nil {
		return format.Result{}, err
	}
	text := "registered users: " + strconv.Itoa(st.Registered) + ", enabled users: " + strconv.Itoa(st.Enabled) + ", all users: " + strconv.Itoa(st.All)
	return table(text, []string{"registered", "enabled", "total"},
		[][]string{{strconv.Itoa(st.Registered), strconv.Itoa(st.Enabled), strconv.Itoa(st.All)}}), nil
}

const registeredWhere = "status > 0 AND statusdate > ? AND enabled <> 0 AND temporarydisabled <> 1"

var regUsersSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(maxRegUsers) + regSelect + " WHERE " +
		registeredWhere + " ORDER BY username" + d.Limit(maxRegUsers))
})

const regSelect = "username, status, statusdate, ip, enabled, temporarydisabled FROM tb_users"

var regUserOneSQL = schema.Statement("SELECT " + regSelect + " WHERE username = ?")

var regStatSQL = schema.Statement(`SELECT
 COALESCE(SUM(CASE WHEN ` + registeredWhere + ` THEN 1 ELSE 0 END), 0) AS registered,
 COALESCE(SUM(CASE WHEN enabled <> 0 AND temporarydisabled <> 1 THEN 1 ELSE 0 END), 0) AS enabled,
 COUNT(*) AS total FROM tb_users`)
