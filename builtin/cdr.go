package builtin

import (
	"context"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// cdr lists or summarises call records (tb_cdrs) with the reference's
// filters. Endusers see their own calls, resellers and owners also their
// users' calls, admins every call (or the targetuser's).

func registerCDR(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "cdr", Access: engine.UserAPI,
		Params:  []string{"caller", "called", "maxcount", "days", "dir", "type", "prefix", "fields", "summary", "by", "order"},
		Handler: cdrEntry,
		Doc:     "Call records: filters caller, called, maxcount, days, dir, type, prefix; fields, summary, by, order.",
	})
}

// cdrWhere is a WHERE clause with its arguments, built with ? placeholders.
type cdrWhere struct {
	parts []string
	args  []any
}

func (w *cdrWhere) add(part string, args ...any) {
	w.parts = append(w.parts, part)
	w.args = append(w.args, args...)
}

func (w *cdrWhere) sql() string {
	if len(w.parts) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.parts, " AND ")
}

// cdrScope limits the records to what the caller may see. It reports
// whether the caller sees every record (an admin without targetuser).
func cdrScope(c *engine.Call, f cdrFilter, w *cdrWhere) (all bool, res format.Result, ok bool) {
	if c.Admin && (c.User == nil || c.User.IsAdmin()) {
		if f.UserID > 0 {
			w.add("callerid = ?", f.UserID)
		}
		if f.ParentUserID > 0 {
			w.add("callerid IN (SELECT id FROM tb_users WHERE parentid = ?)", f.ParentUserID)
		}
		return true, res, true
	}
	if c.User == nil {
		return false, engine.Errorf("this entry needs a user: send authid"), false
	}
	u := c.User
	if f.UserID > 0 && f.UserID != u.ID || f.ParentUserID > 0 && f.ParentUserID != u.ID {
		return false, engine.Failf(engine.KindDenied, "access denied: userid and parentuserid may name only you"), false
	}
	own := func(col string) (string, []any) {
		if u.Type == engine.TypeReseller || u.Type == engine.TypeOwner {
			return "(" + col + " = ? OR " + col + " IN (SELECT id FROM tb_users WHERE parentid = ?))", []any{u.ID, u.ID}
		}
		return col + " = ?", []any{u.ID}
	}
	out, outArgs := own("callerid")
	in, inArgs := own("calledid")
	switch f.Dir {
	case "out":
		w.add(out, outArgs...)
	case "in":
		w.add(in, inArgs...)
	default:
		w.add("("+out+" OR "+in+")", append(outArgs, inArgs...)...)
	}
	if f.ParentUserID > 0 {
		w.add("callerid IN (SELECT id FROM tb_users WHERE parentid = ?)", f.ParentUserID)
	}
	return false, res, true
}

// cdrConditions adds the filters that do not depend on who asks.
func cdrConditions(f cdrFilter, admin bool, w *cdrWhere) {
	if !f.From.IsZero() {
		w.add("datum >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add("datum < ?", f.To)
	}
	if f.Caller != "" {
		if id, err := strconv.ParseInt(f.Caller, 10, 64); err == nil && admin {
			w.add("(callerid = ? OR caller = ?)", id, f.Caller)
		} else {
			w.add("caller = ?", f.Caller)
		}
	}
	if f.Called != "" {
		w.add("(called = ? OR callednumber = ?)", f.Called, f.Called)
	}
	if f.Prefix != "" {
		w.add("called LIKE ?", f.Prefix+"%")
	}
	switch f.Type {
	case "connected":
		w.add("duration > 0")
	case "notconnected":
		w.add("duration = 0")
	}
	if f.CDRID > 0 {
		w.add("id = ?", f.CDRID)
	}
	if f.CallID != "" {
		w.add("sipcallid = ?", f.CallID)
	}
}

var cdrFields = map[string][]string{
	"min":    {"datum", "caller", "called", "duration"},
	"normal": {"id", "datum", "caller", "called", "duration", "cost", "reasoncode"},
	"all":    {"id", "datum", "callerid", "calledid", "caller", "called", "callednumber", "duration", "cost", "price", "sipcallid", "reasoncode"},
}

var cdrOrder = map[string]string{
	"date": "datum DESC, id DESC", "caller": "caller, datum DESC", "called": "called, datum DESC", "user": "callerid, datum DESC",
}

func cdrEntry(ctx context.Context, c *engine.Call) (format.Result, error) {
	f, err := parseCDRFilter(c.Param, time.Now(), 100)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	var w cdrWhere
	all, res, ok := cdrScope(c, f, &w)
	if !ok {
		return res, nil
	}
	cdrConditions(f, all, &w)
	profit := all && f.Fields == "all"
	if f.By != "" {
		return cdrGroups(ctx, c, f, &w, profit)
	}
	cols := cdrFields[f.Fields]
	sel := strings.Join(cols, ", ")
	if profit {
		sel += ", providercost, cost - providercost AS profit"
		cols = append(append([]string{}, cols...), "providercost", "profit")
	}
	db := c.ReadDB()
	d := db.Dialect
	rows, err := db.QueryxContext(ctx, cdrListSQL(d, sel, &w, f.Order, f.MaxCount), w.args...)
	if err != nil {
		return format.Result{}, err
	}
	out, err := scanTable(rows, moneyColumns(cols))
	if err != nil {
		return format.Result{}, err
	}
	text := strconv.Itoa(len(out)) + " calls"
	if f.Summary {
		t, err := cdrTotals(ctx, db, &w)
		if err != nil {
			return format.Result{}, err
		}
		text += "; summary: " + t.text(profit)
	}
	return table(text, cols, out), nil
}

// moneyColumns marks the columns rendered as money amounts.
func moneyColumns(cols []string) map[int]bool {
	m := map[int]bool{}
	for i, c := range cols {
		switch c {
		case "cost", "price", "providercost", "profit":
			m[i] = true
		}
	}
	return m
}

// scanTable reads every row as text; money columns without trailing zeros.
func scanTable(rows interface {
	Next() bool
	SliceScan() ([]any, error)
	Err() error
	Close() error
}, moneyCols map[int]bool) ([][]string, error) {
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = cellText(v)
			if moneyCols[i] {
				if x, err := strconv.ParseFloat(row[i], 64); err == nil {
					row[i] = money(x)
				}
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// cdrListSQL lists the columns sel (from cdrFields) of at most max records
// in order (a cdrOrder key).
func cdrListSQL(d schema.Dialect, sel string, w *cdrWhere, order string, max int) string {
	return d.Rebind("SELECT " + d.Top(max) + sel + " FROM tb_cdrs" + w.sql() +
		" ORDER BY " + cdrOrder[order] + d.Limit(max))
}
