package builtin

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// lists and reports: the sizes of what mvapi keeps, and a summary of the
// database's activity over the last days.

func registerAdminLists(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "lists", Handler: listSizes, Doc: "Sizes of the lists mvapi keeps: rule table, users, banned IPs, nonces, queues."},
		{Name: "reports", Params: []string{"days"}, Handler: activityReport,
			Doc: "Activity of the last days (default 1): new users, calls, credit movements, API requests."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

func listSizes(ctx context.Context, c *engine.Call) (format.Result, error) {
	now := utcNow()
	custom := 0
	entries := c.Engine.Table().Entries()
	for _, e := range entries {
		if !e.Builtin {
			custom++
		}
	}
	rows := [][]string{
		{"entries", strconv.Itoa(len(entries)), "rule table: built-ins and tb_api rows"},
		{"custom entries", strconv.Itoa(custom), "tb_api rows that are not built-ins"},
		{"running queries", strconv.Itoa(len(c.Engine.RunningQueries())), "see querylist"},
	}
	for _, q := range sizeQueries(c.DB().Dialect, now) {
		db := c.DB()
		var n int64
		if err := db.GetContext(ctx, &n, q.sql, q.args...); err != nil {
			if ctx.Err() != nil {
				return format.Result{}, err
			}
			c.Engine.Logger().Warn("lists", "list", q.name, "err", err)
			rows = append(rows, []string{q.name, "n/a", q.doc + ": cannot be read"})
			continue
		}
		rows = append(rows, []string{q.name, strconv.FormatInt(n, 10), q.doc})
	}
	return table(fmt.Sprintf("%d lists", len(rows)), []string{"list", "count", "what"}, rows), nil
}

func activityReport(ctx context.Context, c *engine.Call) (format.Result, error) {
	days := 1
	if s := strings.TrimSpace(c.Param("days")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 3660 {
			return engine.Errorf("bad days %q: a whole number from 1 to 3660", clipText(s, 12)), nil
		}
		days = n
	}
	since := utcNow().Add(-time.Duration(days) * 24 * time.Hour)
	db := c.ReadDB()
	var users, calls, seconds, moves int64
	var cost, credit float64
	qs := activitySQL(db.Dialect)
	for _, q := range []struct {
		sql  string
		dest []any
	}{
		{qs[0], []any{&users}},
		{qs[1], []any{&calls, &seconds, &cost}},
		{qs[2], []any{&moves, &credit}},
	} {
		if err := db.QueryRowxContext(ctx, q.sql, since).Scan(q.dest...); err != nil {
			return format.Result{}, err
		}
	}
	ok, failed, _ := requestTotals(c.Engine)
	rows := [][]string{
		{"new users", strconv.FormatInt(users, 10)},
		{"calls", strconv.FormatInt(calls, 10)},
		{"call minutes", money(float64(seconds) / 60)},
		{"call cost", money(cost)},
		{"credit movements", strconv.FormatInt(moves, 10)},
		{"credit moved", money(credit)},
		{"api requests since start", strconv.FormatInt(ok+failed, 10)},
		{"api failures since start", strconv.FormatInt(failed, 10)},
	}
	return table(fmt.Sprintf("report of the last %d day(s), since %s UTC", days, since.Format(time.DateTime)),
		[]string{"report", "value"}, rows), nil
}

// sizeQuery counts the rows of one list.
type sizeQuery struct {
	name, sql, doc string
	args           []any
}

// sizeQueries are the counts of lists, at time now.
func sizeQueries(d schema.Dialect, now time.Time) []sizeQuery {
	return []sizeQuery{
		{"users", d.Rebind("SELECT COUNT(*) FROM tb_users"), "tb_users", nil},
		{"banned ips", d.Rebind("SELECT COUNT(*) FROM tb_bannedips WHERE expires IS NULL OR expires > ?"), "tb_bannedips in force", []any{now}},
		{"nonces", d.Rebind("SELECT COUNT(*) FROM tb_nonces WHERE expires > ?"), "valid preauth nonces", []any{now}},
		{"switch requests", d.Rebind("SELECT COUNT(*) FROM tb_switchrequests WHERE status = 0"), "queued for the switch", nil},
		{"outbox", d.Rebind("SELECT COUNT(*) FROM tb_outbox WHERE status = 'pending'"), "email and SMS waiting", nil},
	}
}

// activitySQL are the report's statements, each with one ? (since):
// new users; calls, seconds and cost; credit movements and sum.
func activitySQL(d schema.Dialect) [3]string {
	return [3]string{
		d.Rebind("SELECT COUNT(*) FROM tb_users WHERE created >= ?"),
		d.Rebind("SELECT COUNT(*), COALESCE(SUM(duration), 0), COALESCE(SUM(cost), 0) FROM tb_cdrs WHERE datum >= ?"),
		d.Rebind("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM tb_creditlog WHERE datum >= ?"),
	}
}
