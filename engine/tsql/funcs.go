package tsql

import (
	"strconv"
	"strings"
)

// sqliteDT is the strftime format of a T-SQL datetime on SQLite; it sorts
// and compares as text with the values mvapi stores
// ("2006-01-02 15:04:05.999999999+00:00", _time_format=sqlite) and with
// CURRENT_TIMESTAMP defaults.
const sqliteDT = "%Y-%m-%d %H:%M:%f"

type fnc func(tr *translator, t token, g *node) (elem, error)

var funcs map[string]fnc

func init() {
	funcs = map[string]fnc{
		"GETDATE":        nowFn,
		"GETUTCDATE":     nowFn,
		"SYSDATETIME":    nowFn,
		"SYSUTCDATETIME": nowFn,
		"CURRENT_TIMESTAMP": func(tr *translator, t token, g *node) (elem, error) {
			return elem{}, errAt(tr.src, t.pos, "CURRENT_TIMESTAMP()", "takes no parentheses", "write CURRENT_TIMESTAMP or GETDATE()")
		},
		"SCOPE_IDENTITY": func(tr *translator, t token, g *node) (elem, error) {
			if _, err := tr.args(t, g, 0, 0); err != nil {
				return elem{}, err
			}
			return elem{text: tr.lastID(), typ: vNum, simple: true}, nil
		},
		"ISNULL":    isnullFn,
		"LEN":       lenFn,
		"LEFT":      leftFn,
		"RIGHT":     rightFn,
		"SUBSTRING": substringFn,
		"CHARINDEX": charindexFn,
		"REPLACE":   strFn("REPLACE", 3, 3),
		"UPPER":     strFn("UPPER", 1, 1),
		"LOWER":     strFn("LOWER", 1, 1),
		"LTRIM":     strFn("LTRIM", 1, 2),
		"RTRIM":     strFn("RTRIM", 1, 2),
		"IIF":       iifFn,
		"DATEADD":   dateaddFn,
		"DATEDIFF":  datediffFn,
		"DATEPART":  datepartFn,
		"YEAR":      partFn("year"),
		"MONTH":     partFn("month"),
		"DAY":       partFn("day"),
		"CAST":      castFn,
		"CONVERT":   convertFn,
	}
}

// refused T-SQL functions, with what to write instead.
var refused = map[string]string{
	"NEWID":         "generate the id in the client, or use randomblob(16) on SQLite / gen_random_uuid() on PostgreSQL with customsqldialect=native",
	"FORMAT":        "use CONVERT(varchar(n), x, style), e.g. style 120 for yyyy-mm-dd hh:mi:ss",
	"STUFF":         "use LEFT(s, i - 1) || x || SUBSTRING(s, i + n, LEN(s))",
	"PATINDEX":      "use LIKE, or CHARINDEX for a plain substring",
	"DATENAME":      "use DATEPART for a number",
	"EOMONTH":       "use DATEADD(day, -1, DATEADD(month, 1, first-of-month))",
	"DATEFROMPARTS": "write the date as a 'yyyy-mm-dd' string",
	"STR":           "use CAST(x AS varchar(n))",
	"SPACE":         "write the blanks as a string literal",
	"REPLICATE":     "write the repeated text as a string literal",
	"TRY_CONVERT":   "use CONVERT (an invalid value fails the statement)",
	"TRY_CAST":      "use CAST (an invalid value fails the statement)",
	"DATALENGTH":    "use LEN for characters",
	"OBJECT_ID":     "query the database's catalog natively (customsqldialect=native)",
	"IDENT_CURRENT": "use SCOPE_IDENTITY() right after the INSERT",
	"CHOOSE":        "use CASE n WHEN 1 THEN a WHEN 2 THEN b END",
}

// args translates the comma-separated arguments of a call and checks
// their number (max < 0: no limit).
func (tr *translator) args(t token, g *node, minN, maxN int) ([]val, error) {
	raw := splitArgs(g)
	if len(raw) == 1 && next(raw[0], 0) == len(raw[0]) {
		raw = nil
	}
	if len(raw) < minN || maxN >= 0 && len(raw) > maxN {
		want := strconv.Itoa(minN)
		if maxN != minN {
			want += " to " + strconv.Itoa(maxN)
		}
		return nil, errAt(tr.src, t.pos, strings.ToUpper(t.text)+"()", "takes "+want+" arguments, not "+strconv.Itoa(len(raw)), "")
	}
	vs := make([]val, len(raw))
	for i, nodes := range raw {
		pos := g.tok.pos
		if k := next(nodes, 0); k < len(nodes) {
			pos = nodes[k].tok.pos
		}
		v, err := tr.level(nodes, pos)
		if err != nil {
			return nil, err
		}
		v.text = strings.TrimSpace(v.text)
		if v.text == "" {
			return nil, errAt(tr.src, pos, strings.ToUpper(t.text)+"()", "argument "+strconv.Itoa(i+1)+" is empty", "")
		}
		vs[i] = v
	}
	return vs, nil
}

func splitArgs(g *node) [][]*node {
	var out [][]*node
	cur := []*node{}
	for _, n := range g.kids {
		if isOp(n, ",") {
			out = append(out, cur)
			cur = []*node{}
			continue
		}
		cur = append(cur, n)
	}
	return append(out, cur)
}

// p parenthesises a non-simple expression.
func p(v val) string {
	if v.simple {
		return v.text
	}
	return "(" + v.text + ")"
}

func (tr *translator) now() elem {
	if tr.target == SQLite {
		return elem{text: "strftime('" + sqliteDT + "', 'now')", kind: eVal, typ: vDT, base: "'now'", jd: "julianday('now')", simple: true}
	}
	t := "(now() AT TIME ZONE 'UTC')"
	return elem{text: t, kind: eVal, typ: vDT, base: t, simple: true}
}

func nowFn(tr *translator, t token, g *node) (elem, error) {
	if _, err := tr.args(t, g, 0, 0); err != nil {
		return elem{}, err
	}
	return tr.now(), nil
}

// sqliteTime is v as SQLite's date functions take it.
func (tr *translator) sqliteTime(v val) string {
	if v.typ == vDT && v.base != "" {
		return v.base
	}
	return v.text
}

func (tr *translator) julian(v val) string {
	if v.jd != "" {
		return v.jd
	}
	return "julianday(" + tr.sqliteTime(v) + ")"
}

// pgTimestamp is v as a PostgreSQL timestamp.
func (tr *translator) pgTimestamp(v val) string {
	if v.typ == vDT {
		return v.text
	}
	return "CAST(" + v.text + " AS timestamp)"
}

func (tr *translator) pgText(v val) string {
	if v.typ == vStr {
		return v.text
	}
	return "CAST(" + v.text + " AS text)"
}

func isnullFn(tr *translator, t token, g *node) (elem, error) {
	a, err := tr.args(t, g, 2, 2)
	if err != nil {
		return elem{}, err
	}
	e := elem{text: "COALESCE(" + a[0].text + ", " + a[1].text + ")", typ: a[0].typ, simple: true}
	if a[0].typ == vNull {
		e.typ = a[1].typ
	}
	if e.typ == vDT {
		if tr.target == SQLite {
			e.base = e.text
		} else {
			e.text = "COALESCE(" + tr.pgTimestamp(a[0]) + ", " + tr.pgTimestamp(a[1]) + ")"
		}
	}
	return e, nil
}

// lenFn: LEN counts characters without trailing blanks.
func lenFn(tr *translator, t token, g *node) (elem, error) {
	a, err := tr.args(t, g, 1, 1)
	if err != nil {
		return elem{}, err
	}
	if a[0].typ == vDT {
		return elem{}, errAt(tr.src, t.pos, "LEN(datetime)", "T-SQL measures the datetime's default text form", "use LEN(CONVERT(varchar(19), x, 120))")
	}
	if tr.target == SQLite {
		return elem{text: "length(rtrim(" + a[0].text + ", ' '))", typ: vNum, simple: true}, nil
	}
	return elem{text: "length(rtrim(" + tr.pgText(a[0]) + ", ' '))", typ: vNum, simple: true}, nil
}

func leftFn(tr *translator, t token, g *node) (elem, error) {
	a, err := tr.args(t, g, 2, 2)
	if err != nil {
		return elem{}, err
	}
	if err := tr.noDT(t, a[0]); err != nil {
		return elem{}, err
	}
	if tr.target == SQLite {
		return elem{text: "substr(" + a[0].text + ", 1, " + a[1].text + ")", typ: vStr, simple: true}, nil
	}
	return elem{text: "left(" + tr.pgText(a[0]) + ", " + a[1].text + ")", typ: vStr, simple: true}, nil
}

func rightFn(tr *translator, t token, g *node) (elem, error) {
	a, err := tr.args(t, g, 2, 2)
	if err != nil {
		return elem{}, err
	}
	if err := tr.noDT(t, a[0]); err != nil {
		return elem{}, err
	}
	if tr.target == SQLite {
		// substr(s, -n, n): the last n characters, '' for n = 0.
		return elem{text: "substr(" + a[0].text + ", -" + p(a[1]) + ", " + a[1].text + ")", typ: vStr, simple: true}, nil
	}
	return elem{text: "right(" + tr.pgText(a[0]) + ", " + a[1].text + ")", typ: vStr, simple: true}, nil
}

// noDT refuses a string function on a datetime (T-SQL would use its
// default text form, 'Jan  1 2024 10:00AM').
func (tr *translator) noDT(t token, v val) error {
	if v.typ == vDT {
		return errAt(tr.src, t.pos, strings.ToUpper(t.text)+"(datetime, ...)", "T-SQL works on the datetime's default text form",
			"convert it first: CONVERT(varchar(19), x, 120)")
	}
	return nil
}

func isPositiveInt(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1
}

func substringFn(tr *translator, t token, g *node) (elem, error) {
	for _, n := range g.kids {
		if !n.group && n.tok.kind == tWord && (strings.EqualFold(n.tok.text, "FROM") || strings.EqualFold(n.tok.text, "FOR")) {
			// SUBSTRING(s FROM i FOR n): standard SQL, left as written.
			args, err := tr.level(g.kids, g.tok.pos)
			if err != nil {
				return elem{}, err
			}
			return elem{text: t.text + "(" + args.text + ")", typ: vStr, simple: true}, nil
		}
	}
	a, err := tr.args(t, g, 3, 3)
	if err != nil {
		return elem{}, err
	}
	if err := tr.noDT(t, a[0]); err != nil {
		return elem{}, err
	}
	if tr.target == Postgres {
		return elem{text: "substring(" + tr.pgText(a[0]) + ", " + a[1].text + ", " + a[2].text + ")", typ: vStr, simple: true}, nil
	}
	if isPositiveInt(a[1].text) {
		return elem{text: "substr(" + a[0].text + ", " + a[1].text + ", " + a[2].text + ")", typ: vStr, simple: true}, nil
	}
	// T-SQL counts positions before the first character; SQLite counts a
	// negative start from the end.
	s, l := p(a[1]), p(a[2])
	return elem{text: "substr(" + a[0].text + ", max(" + s + ", 1), max(" + l + " + min(" + s + ", 1) - 1, 0))", typ: vStr, simple: true}, nil
}

func charindexFn(tr *translator, t token, g *node) (elem, error) {
	a, err := tr.args(t, g, 2, 3)
	if err != nil {
		return elem{}, err
	}
	find, in := tr.pgText(a[0]), tr.pgText(a[1])
	pos := func(h, n string) string { return "strpos(" + h + ", " + n + ")" }
	if tr.target == SQLite {
		find, in = a[0].text, a[1].text
		pos = func(h, n string) string { return "instr(" + h + ", " + n + ")" }
	}
	// T-SQL finds no empty string (0) where instr and strpos find it at
	// 1; NULL in either gives NULL.
	if len(a) == 2 {
		empty := "(" + find + " = '')" // 1 or 0 on SQLite
		if tr.target == Postgres {
			empty = "CAST(" + find + " = '' AS integer)"
		}
		return elem{text: "(" + pos(in, find) + " - " + empty + ")", typ: vNum, simple: true}, nil
	}
	st := "max(" + a[2].text + ", 1)"
	if tr.target == Postgres {
		st = "greatest(" + a[2].text + ", 1)"
	}
	sub := "substr(" + in + ", " + st + ")"
	hit := pos(sub, find)
	return elem{text: "(CASE WHEN " + hit + " > 0 AND " + find + " <> '' THEN " + hit + " + " + st + " - 1 WHEN " + hit + " >= 0 THEN 0 END)",
		typ: vNum, simple: true}, nil
}

func strFn(name string, minN, maxN int) fnc {
	return func(tr *translator, t token, g *node) (elem, error) {
		a, err := tr.args(t, g, minN, maxN)
		if err != nil {
			return elem{}, err
		}
		if err := tr.noDT(t, a[0]); err != nil {
			return elem{}, err
		}
		parts := make([]string, len(a))
		for i, v := range a {
			parts[i] = v.text
			if tr.target == Postgres && i == 0 && tr.mode == TSQL && v.typ != vStr {
				parts[i] = tr.pgText(v)
			}
		}
		return elem{text: t.text + "(" + strings.Join(parts, ", ") + ")", typ: vStr, simple: true}, nil
	}
}

func iifFn(tr *translator, t token, g *node) (elem, error) {
	a, err := tr.args(t, g, 3, 3)
	if err != nil {
		return elem{}, err
	}
	typ := a[1].typ
	if typ == vNull {
		typ = a[2].typ
	}
	e := elem{text: "(CASE WHEN " + a[0].text + " THEN " + a[1].text + " ELSE " + a[2].text + " END)", typ: typ, simple: true}
	if typ == vDT {
		if tr.target == SQLite {
			e.base = e.text
		} else {
			e.text = "(CASE WHEN " + a[0].text + " THEN " + tr.pgTimestamp(a[1]) + " ELSE " + tr.pgTimestamp(a[2]) + " END)"
		}
	}
	return e, nil
}

// dateparts maps T-SQL's datepart names and abbreviations.
var dateparts = map[string]string{
	"year": "year", "yy": "year", "yyyy": "year",
	"quarter": "quarter", "qq": "quarter", "q": "quarter",
	"month": "month", "mm": "month", "m": "month",
	"dayofyear": "dayofyear", "dy": "dayofyear", "y": "dayofyear",
	"day": "day", "dd": "day", "d": "day",
	"week": "week", "wk": "week", "ww": "week",
	"weekday": "weekday", "dw": "weekday", "w": "weekday",
	"hour": "hour", "hh": "hour",
	"minute": "minute", "mi": "minute", "n": "minute",
	"second": "second", "ss": "second", "s": "second",
}

// datepart reads the first argument of DATEADD, DATEDIFF and DATEPART.
func (tr *translator) datepart(t token, nodes []*node) (string, error) {
	var words []token
	for _, n := range nodes {
		if n.group {
			return "", errAt(tr.src, n.tok.pos, "datepart", "is not a datepart name", "write year, quarter, month, day, week, hour, minute or second")
		}
		if n.tok.kind != tSpace {
			words = append(words, n.tok)
		}
	}
	if len(words) != 1 || (words[0].kind != tWord && words[0].kind != tStr) {
		return "", errAt(tr.src, t.pos, strings.ToUpper(t.text)+"()", "the first argument must be a datepart", "write year, quarter, month, day, week, hour, minute or second")
	}
	w := strings.Trim(strings.ToLower(words[0].text), "'")
	part, ok := dateparts[w]
	if !ok {
		return "", errAt(tr.src, words[0].pos, words[0].text, "datepart not supported on "+tr.target.String(), "use year, quarter, month, day, week, hour, minute or second")
	}
	return part, nil
}

func dateaddFn(tr *translator, t token, g *node) (elem, error) {
	raw := splitArgs(g)
	if len(raw) != 3 {
		return elem{}, errAt(tr.src, t.pos, "DATEADD()", "takes 3 arguments", "DATEADD(day, n, x)")
	}
	part, err := tr.datepart(t, raw[0])
	if err != nil {
		return elem{}, err
	}
	a, err := tr.args(t, &node{tok: g.tok, group: true, kids: joinArgs(raw[1:])}, 2, 2)
	if err != nil {
		return elem{}, err
	}
	n, d := a[0], a[1]
	if d.typ == vNum {
		return elem{}, errAt(tr.src, d.pos, "DATEADD(..., number)", "T-SQL counts a number as days from 1900-01-01", "pass a datetime")
	}
	unit, mul := "", 1
	switch part {
	case "year":
		unit = "years"
	case "quarter":
		unit, mul = "months", 3
	case "month":
		unit = "months"
	case "day", "dayofyear", "weekday":
		unit = "days"
	case "week":
		unit, mul = "days", 7
	case "hour":
		unit = "hours"
	case "minute":
		unit = "minutes"
	case "second":
		unit = "seconds"
	}
	// DATEADD truncates n to an integer.
	if tr.target == SQLite {
		var amount string
		if k, err := strconv.Atoi(n.text); err == nil {
			amount = "'" + strconv.Itoa(k*mul) + " " + unit + "'"
		} else {
			num := "CAST(" + n.text + " AS INTEGER)"
			if mul != 1 {
				num += " * " + strconv.Itoa(mul)
			}
			amount = "(" + num + " || ' " + unit + "')"
		}
		mods := tr.sqliteTime(d) + ", " + amount
		if unit == "months" || unit == "years" {
			mods += ", 'floor'" // T-SQL: Jan 31 + 1 month is Feb 28/29
		}
		text := "strftime('" + sqliteDT + "', " + mods + ")"
		return elem{text: text, typ: vDT, base: text, simple: true}, nil
	}
	num := "trunc(CAST(" + n.text + " AS numeric))"
	if _, err := strconv.Atoi(n.text); err == nil {
		num = n.text
	}
	if mul != 1 {
		num += " * " + strconv.Itoa(mul)
	}
	iv := map[string]string{"years": "1 year", "months": "1 month", "days": "1 day", "hours": "1 hour", "minutes": "1 minute", "seconds": "1 second"}[unit]
	text := "(" + tr.pgTimestamp(d) + " + " + num + " * INTERVAL '" + iv + "')"
	return elem{text: text, typ: vDT, base: text, simple: true}, nil
}

func joinArgs(raw [][]*node) []*node {
	var out []*node
	for i, a := range raw {
		if i > 0 {
			out = append(out, &node{tok: token{kind: tOp, text: ","}})
		}
		out = append(out, a...)
	}
	return out
}

// sqlitePart is DATEPART on SQLite.
func sqlitePart(part, x string) string {
	f := func(fmt string) string { return "CAST(strftime('" + fmt + "', " + x + ") AS INTEGER)" }
	switch part {
	case "year":
		return f("%Y")
	case "quarter":
		return "((" + f("%m") + " + 2) / 3)"
	case "month":
		return f("%m")
	case "dayofyear":
		return f("%j")
	case "day":
		return f("%d")
	case "week": // T-SQL: week 1 holds January 1st, weeks start on Sunday
		return "((" + f("%j") + " + CAST(strftime('%w', " + x + ", 'start of year') AS INTEGER) - 1) / 7 + 1)"
	case "weekday": // DATEFIRST 7: Sunday is 1
		return "(" + f("%w") + " + 1)"
	case "hour":
		return f("%H")
	case "minute":
		return f("%M")
	case "second":
		return f("%S")
	}
	return ""
}

func pgPart(part, x string) string {
	f := func(field string) string { return "CAST(EXTRACT(" + field + " FROM " + x + ") AS integer)" }
	switch part {
	case "year":
		return f("YEAR")
	case "quarter":
		return f("QUARTER")
	case "month":
		return f("MONTH")
	case "dayofyear":
		return f("DOY")
	case "day":
		return f("DAY")
	case "week":
		return "((" + f("DOY") + " + " + "CAST(EXTRACT(DOW FROM date_trunc('year', " + x + ")) AS integer) - 1) / 7 + 1)"
	case "weekday":
		return "(" + f("DOW") + " + 1)"
	case "hour":
		return f("HOUR")
	case "minute":
		return f("MINUTE")
	case "second":
		return "CAST(floor(EXTRACT(SECOND FROM " + x + ")) AS integer)"
	}
	return ""
}

func (tr *translator) part(part string, d val) string {
	if tr.target == SQLite {
		return sqlitePart(part, tr.sqliteTime(d))
	}
	return pgPart(part, tr.pgTimestamp(d))
}

func datepartFn(tr *translator, t token, g *node) (elem, error) {
	raw := splitArgs(g)
	if len(raw) != 2 {
		return elem{}, errAt(tr.src, t.pos, "DATEPART()", "takes 2 arguments", "DATEPART(hour, x)")
	}
	part, err := tr.datepart(t, raw[0])
	if err != nil {
		return elem{}, err
	}
	a, err := tr.args(t, &node{tok: g.tok, group: true, kids: raw[1]}, 1, 1)
	if err != nil {
		return elem{}, err
	}
	return elem{text: tr.part(part, a[0]), typ: vNum, simple: true}, nil
}

func partFn(part string) fnc {
	return func(tr *translator, t token, g *node) (elem, error) {
		a, err := tr.args(t, g, 1, 1)
		if err != nil {
			return elem{}, err
		}
		return elem{text: tr.part(part, a[0]), typ: vNum, simple: true}, nil
	}
}

// datediffFn: DATEDIFF counts the boundaries of part crossed from a to b.
func datediffFn(tr *translator, t token, g *node) (elem, error) {
	raw := splitArgs(g)
	if len(raw) != 3 {
		return elem{}, errAt(tr.src, t.pos, "DATEDIFF()", "takes 3 arguments", "DATEDIFF(day, a, b)")
	}
	part, err := tr.datepart(t, raw[0])
	if err != nil {
		return elem{}, err
	}
	a, err := tr.args(t, &node{tok: g.tok, group: true, kids: joinArgs(raw[1:])}, 2, 2)
	if err != nil {
		return elem{}, err
	}
	var text string
	if tr.target == SQLite {
		x, y := tr.sqliteTime(a[0]), tr.sqliteTime(a[1])
		trunc := func(f string, mul string) string {
			return "CAST(round((julianday(strftime('" + f + "', " + y + ")) - julianday(strftime('" + f + "', " + x + "))) * " + mul + ") AS INTEGER)"
		}
		switch part {
		case "year":
			text = "(" + sqlitePart("year", y) + " - " + sqlitePart("year", x) + ")"
		case "quarter":
			text = "((" + sqlitePart("year", y) + " - " + sqlitePart("year", x) + ") * 4 + " + sqlitePart("quarter", y) + " - " + sqlitePart("quarter", x) + ")"
		case "month":
			text = "((" + sqlitePart("year", y) + " - " + sqlitePart("year", x) + ") * 12 + " + sqlitePart("month", y) + " - " + sqlitePart("month", x) + ")"
		case "day", "dayofyear", "weekday":
			text = "CAST(julianday(date(" + y + ")) - julianday(date(" + x + ")) AS INTEGER)"
		case "week":
			text = "CAST((julianday(date(" + y + ", '-6 days', 'weekday 0')) - julianday(date(" + x + ", '-6 days', 'weekday 0'))) / 7 AS INTEGER)"
		case "hour":
			text = trunc("%Y-%m-%d %H:00:00", "24")
		case "minute":
			text = trunc("%Y-%m-%d %H:%M:00", "1440")
		case "second":
			text = trunc("%Y-%m-%d %H:%M:%S", "86400")
		}
	} else {
		x, y := tr.pgTimestamp(a[0]), tr.pgTimestamp(a[1])
		ex := func(f, v string) string { return "EXTRACT(" + f + " FROM " + v + ")" }
		epoch := func(unit, div string) string {
			return "CAST(EXTRACT(EPOCH FROM date_trunc('" + unit + "', " + y + ") - date_trunc('" + unit + "', " + x + ")) / " + div + " AS integer)"
		}
		switch part {
		case "year":
			text = "CAST(" + ex("YEAR", y) + " - " + ex("YEAR", x) + " AS integer)"
		case "quarter":
			text = "CAST((" + ex("YEAR", y) + " - " + ex("YEAR", x) + ") * 4 + " + ex("QUARTER", y) + " - " + ex("QUARTER", x) + " AS integer)"
		case "month":
			text = "CAST((" + ex("YEAR", y) + " - " + ex("YEAR", x) + ") * 12 + " + ex("MONTH", y) + " - " + ex("MONTH", x) + " AS integer)"
		case "day", "dayofyear", "weekday":
			text = "(CAST(" + y + " AS date) - CAST(" + x + " AS date))"
		case "week":
			text = "(((CAST(" + y + " AS date) - CAST(" + ex("DOW", y) + " AS integer)) - (CAST(" + x + " AS date) - CAST(" + ex("DOW", x) + " AS integer))) / 7)"
		case "hour":
			text = epoch("hour", "3600")
		case "minute":
			text = epoch("minute", "60")
		case "second":
			text = epoch("second", "1")
		}
	}
	return elem{text: text, typ: vNum, simple: true}, nil
}
