package builtin

import (
	"context"
	"sort"
	"strconv"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// Summaries of cdr: summary=yes adds totals to a list; by=all, day, caller
// or called answers totals per group instead of the calls.

type cdrTotal struct {
	Calls, Connected, Duration int64
	Cost, ProviderCost         float64
}

const totalsSQL = `COUNT(*), COALESCE(SUM(CASE WHEN duration > 0 THEN 1 ELSE 0 END), 0),
 COALESCE(SUM(duration), 0), COALESCE(SUM(cost), 0), COALESCE(SUM(providercost), 0)`

func (t cdrTotal) text(profit bool) string {
	s := "calls=" + strconv.FormatInt(t.Calls, 10) + ", connected=" + strconv.FormatInt(t.Connected, 10) +
		", duration=" + strconv.FormatInt(t.Duration, 10) + ", cost=" + money(t.Cost)
	if profit {
		s += ", providercost=" + money(t.ProviderCost) + ", profit=" + money(t.Cost-t.ProviderCost)
	}
	return s
}

func (t cdrTotal) row(profit bool) []string {
	r := []string{strconv.FormatInt(t.Calls, 10), strconv.FormatInt(t.Connected, 10), strconv.FormatInt(t.Duration, 10), money(t.Cost)}
	if profit {
		r = append(r, money(t.ProviderCost), money(t.Cost-t.ProviderCost))
	}
	return r
}

func totalColumns(key string, profit bool) []string {
	var cols []string
	if key != "" {
		cols = append(cols, key)
	}
	cols = append(cols, "calls", "connected", "duration", "cost")
	if profit {
		cols = append(cols, "providercost", "profit")
	}
	return cols
}

func cdrTotals(ctx context.Context, db *schema.DB, w *cdrWhere) (cdrTotal, error) {
	var t cdrTotal
	err := db.QueryRowxContext(ctx, cdrTotalsSQL(db.Dialect, w), w.args...).
		Scan(&t.Calls, &t.Connected, &t.Duration, &t.Cost, &t.ProviderCost)
	return t, err
}

func cdrGroups(ctx context.Context, c *engine.Call, f cdrFilter, w *cdrWhere, profit bool) (format.Result, error) {
	db := c.ReadDB()
	d := db.Dialect
	switch f.By {
	case "all":
		t, err := cdrTotals(ctx, db, w)
		if err != nil {
			return format.Result{}, err
		}
		return table(t.text(profit), totalColumns("", profit), [][]string{t.row(profit)}), nil
	case "day":
		return cdrByDay(ctx, c, f, w, profit)
	}
	key := f.By // caller or called: a fixed column name
	rows, err := db.QueryxContext(ctx, cdrGroupsSQL(d, key, w, f.MaxCount), w.args...)
	if err != nil {
		return format.Result{}, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		var k string
		var t cdrTotal
		if err := rows.Scan(&k, &t.Calls, &t.Connected, &t.Duration, &t.Cost, &t.ProviderCost); err != nil {
			return format.Result{}, err
		}
		out = append(out, append([]string{k}, t.row(profit)...))
	}
	if err := rows.Err(); err != nil {
		return format.Result{}, err
	}
	return table(strconv.Itoa(len(out))+" "+key+"s", totalColumns(key, profit), out), nil
}

// cdrByDay totals per UTC day, newest first. The days are computed in Go so
// that one statement serves every database.
func cdrByDay(ctx context.Context, c *engine.Call, f cdrFilter, w *cdrWhere, profit bool) (format.Result, error) {
	db := c.ReadDB()
	rows, err := db.QueryxContext(ctx, cdrByDaySQL(db.Dialect, w), w.args...)
	if err != nil {
		return format.Result{}, err
	}
	defer rows.Close()
	days := map[string]*cdrTotal{}
	for rows.Next() {
		var at time.Time
		var dur int64
		var cost, pc float64
		if err := rows.Scan(&at, &dur, &cost, &pc); err != nil {
			return format.Result{}, err
		}
		k := at.UTC().Format("2006-01-02")
		t := days[k]
		if t == nil {
			t = &cdrTotal{}
			days[k] = t
		}
		t.Calls++
		if dur > 0 {
			t.Connected++
		}
		t.Duration += dur
		t.Cost += cost
		t.ProviderCost += pc
	}
	if err := rows.Err(); err != nil {
		return format.Result{}, err
	}
	keys := make([]string, 0, len(days))
	for k := range days {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	if len(keys) > f.MaxCount {
		keys = keys[:f.MaxCount]
	}
	out := make([][]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, append([]string{k}, days[k].row(profit)...))
	}
	return table(strconv.Itoa(len(out))+" days", totalColumns("day", profit), out), nil
}

func cdrTotalsSQL(d schema.Dialect, w *cdrWhere) string {
	return d.Rebind("SELECT " + totalsSQL + " FROM tb_cdrs" + w.sql())
}

// cdrGroupsSQL totals per key (caller or called: a fixed column name).
func cdrGroupsSQL(d schema.Dialect, key string, w *cdrWhere, max int) string {
	return d.Rebind("SELECT " + d.Top(max) + key + ", " + totalsSQL + " FROM tb_cdrs" + w.sql() +
		" GROUP BY " + key + " ORDER BY " + key + d.Limit(max))
}

func cdrByDaySQL(d schema.Dialect, w *cdrWhere) string {
	return d.Rebind("SELECT datum, duration, cost, providercost FROM tb_cdrs" + w.sql())
}
