package builtin

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// The banned IP list: tb_bannedips(id, ip, reason, created, expires), one
// row per address or CIDR, expires NULL for "until removed". Rows are
// written by whatever bans (a DBA, a firewall script, the lockout); the
// admin API lists them and removes them.

// maxBannedRows is the most rows bannedlist answers.
const maxBannedRows = 1000

func registerAdminBanned(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "bannedlist", Handler: bannedList, Doc: "The banned IPs: id, ip, reason, created, expires, active."},
		{Name: "delbanned", Params: []string{"ip"}, Handler: delBanned,
			Doc: "Remove an IP (or CIDR) from the banned list; ip=all (or all=1) empties it."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

func bannedList(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	rows, err := db.QueryContext(ctx, bannedListSQL(db.Dialect))
	if err != nil {
		return format.Result{}, err
	}
	defer rows.Close()
	now := utcNow()
	out := [][]string{}
	active := 0
	for rows.Next() {
		var id int64
		var ip, reason string
		var created any
		var expires sql.NullTime
		if err := rows.Scan(&id, &ip, &reason, &created, &expires); err != nil {
			return format.Result{}, err
		}
		on, exp := "1", ""
		if expires.Valid {
			exp = expires.Time.UTC().Format("2006-01-02 15:04:05")
			if !expires.Time.After(now) {
				on = "0"
			}
		}
		if on == "1" {
			active++
		}
		out = append(out, []string{strconv.FormatInt(id, 10), ip, reason, engine.SQLText(created), exp, on})
	}
	if err := rows.Err(); err != nil {
		return format.Result{}, err
	}
	return table(fmt.Sprintf("%d banned, %d active", len(out), active),
		[]string{"id", "ip", "reason", "created", "expires", "active"}, out), nil
}

var bannedListSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return "SELECT " + d.Top(maxBannedRows) + "id, ip, reason, created, expires FROM tb_bannedips ORDER BY id" + d.Limit(maxBannedRows)
})

func delBanned(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	ip := strings.TrimSpace(c.Param("ip"))
	all := strings.EqualFold(ip, "all") || c.Param("all") == "1" || strings.EqualFold(c.Param("all"), "true")
	var r sql.Result
	var err error
	switch {
	case all:
		r, err = db.ExecContext(ctx, unbanSQL(db.Dialect, true))
	case ip == "":
		return engine.Errorf("missing parameter: ip (an address, a CIDR, or all)"), nil
	default:
		if _, e := netip.ParseAddr(ip); e != nil {
			if _, e := netip.ParsePrefix(ip); e != nil {
				return engine.Errorf("bad ip %q: an IP address or CIDR, or all", clipText(ip, 48)), nil
			}
		}
		r, err = db.ExecContext(ctx, unbanSQL(db.Dialect, false), ip)
	}
	if err != nil {
		return format.Result{}, err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return format.Result{}, err
	}
	if n == 0 && !all {
		return engine.Errorf("not banned: %s", ip), nil
	}
	return engine.OK(fmt.Sprintf("%d removed from the banned list", n)), nil
}

// unbanSQL removes every ban (all) or the ban of one ip.
func unbanSQL(d schema.Dialect, all bool) string {
	if all {
		return d.Rebind("DELETE FROM tb_bannedips")
	}
	return d.Rebind("DELETE FROM tb_bannedips WHERE ip = ?")
}
