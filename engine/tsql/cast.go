package tsql

import (
	"strconv"
	"strings"
)

// sqlType is a parsed T-SQL type name: varchar(20), decimal(10,2), nvarchar(max).
type sqlType struct {
	name   string // lower case, words joined by one blank
	raw    string // as written
	args   []int
	max    bool
	hasLen bool
}

func (tr *translator) parseType(nodes []*node, pos int) (sqlType, error) {
	var ty sqlType
	var raw strings.Builder
	for _, n := range nodes {
		if n.group {
			raw.WriteString("(")
			for _, k := range n.kids {
				if k.group {
					return ty, errAt(tr.src, k.tok.pos, "type", "is not a type", "write a type such as varchar(20)")
				}
				raw.WriteString(k.tok.text)
				switch {
				case k.tok.kind == tSpace || isOp(k, ","):
				case k.tok.kind == tWord && strings.EqualFold(k.tok.text, "max"):
					ty.max, ty.hasLen = true, true
				case k.tok.kind == tNum:
					v, err := strconv.Atoi(k.tok.text)
					if err != nil {
						return ty, errAt(tr.src, k.tok.pos, k.tok.text, "is not a type length", "write an integer")
					}
					ty.args = append(ty.args, v)
					ty.hasLen = true
				default:
					return ty, errAt(tr.src, k.tok.pos, k.tok.text, "is not a type length", "write an integer")
				}
			}
			raw.WriteString(")")
			continue
		}
		switch n.tok.kind {
		case tSpace:
			if ty.name != "" {
				raw.WriteString(" ")
			}
			continue
		case tWord, tBracket:
			if ty.hasLen {
				return ty, errAt(tr.src, n.tok.pos, n.tok.text, "unexpected after the type", "")
			}
			w := strings.ToLower(strings.Trim(n.tok.text, "[]"))
			if ty.name != "" {
				ty.name += " "
			}
			ty.name += w
			raw.WriteString(n.tok.text)
		default:
			return ty, errAt(tr.src, n.tok.pos, n.tok.text, "is not a type", "write a type such as varchar(20), int or datetime")
		}
	}
	if ty.name == "" {
		return ty, errAt(tr.src, pos, "CAST/CONVERT", "needs a type", "write a type such as varchar(20), int or datetime")
	}
	ty.raw = strings.TrimSpace(raw.String())
	return ty, nil
}

// native reports whether CAST(x AS ty) already has T-SQL's meaning on the
// target, so auto mode leaves it as written.
func (tr *translator) native(ty sqlType) bool {
	if tr.target == SQLite {
		switch ty.name {
		case "integer", "int", "bigint", "real", "text", "numeric", "blob", "float", "double":
			return !ty.hasLen
		}
		return false
	}
	switch ty.name {
	case "int", "integer", "bigint", "smallint", "numeric", "decimal", "real", "float", "double precision",
		"text", "varchar", "char", "date", "timestamp", "time", "boolean":
		return true
	}
	return false
}

func castFn(tr *translator, t token, g *node) (elem, error) {
	as := -1
	for k, n := range g.kids {
		if !n.group && n.tok.kind == tWord && strings.EqualFold(n.tok.text, "AS") {
			as = k
		}
	}
	if as < 0 {
		return elem{}, errAt(tr.src, t.pos, "CAST()", "needs AS type", "CAST(x AS varchar(20))")
	}
	ty, err := tr.parseType(g.kids[as+1:], g.tok.pos)
	if err != nil {
		return elem{}, err
	}
	x, err := tr.level(g.kids[:as], g.tok.pos)
	if err != nil {
		return elem{}, err
	}
	x.text = strings.TrimSpace(x.text)
	return tr.cast(t, x, ty, "", -1)
}

func convertFn(tr *translator, t token, g *node) (elem, error) {
	raw := splitArgs(g)
	if len(raw) < 2 || len(raw) > 3 {
		return elem{}, errAt(tr.src, t.pos, "CONVERT()", "takes 2 or 3 arguments", "CONVERT(varchar(19), x, 120)")
	}
	ty, err := tr.parseType(raw[0], g.tok.pos)
	if err != nil {
		return elem{}, err
	}
	a, err := tr.args(t, &node{tok: g.tok, group: true, kids: joinArgs(raw[1:])}, 1, 2)
	if err != nil {
		return elem{}, err
	}
	style := ""
	stylePos := -1
	if len(a) == 2 {
		style, stylePos = a[1].text, a[1].pos
	}
	return tr.cast(t, a[0], ty, style, stylePos)
}

// dateStyle is a CONVERT style: the text T-SQL writes for a datetime.
type dateStyle struct{ sqlite, pg string }

var dateStyles = map[string]dateStyle{
	"0":   {},
	"20":  {"%Y-%m-%d %H:%M:%S", "YYYY-MM-DD HH24:MI:SS"},
	"120": {"%Y-%m-%d %H:%M:%S", "YYYY-MM-DD HH24:MI:SS"},
	"21":  {"%Y-%m-%d %H:%M:%f", "YYYY-MM-DD HH24:MI:SS.MS"},
	"121": {"%Y-%m-%d %H:%M:%f", "YYYY-MM-DD HH24:MI:SS.MS"},
	"23":  {"%Y-%m-%d", "YYYY-MM-DD"},
	"8":   {"%H:%M:%S", "HH24:MI:SS"},
	"108": {"%H:%M:%S", "HH24:MI:SS"},
	"112": {"%Y%m%d", "YYYYMMDD"},
	"111": {"%Y/%m/%d", "YYYY/MM/DD"},
	"101": {"%m/%d/%Y", "MM/DD/YYYY"},
	"102": {"%Y.%m.%d", "YYYY.MM.DD"},
	"103": {"%d/%m/%Y", "DD/MM/YYYY"},
	"104": {"%d.%m.%Y", "DD.MM.YYYY"},
	"105": {"%d-%m-%Y", "DD-MM-YYYY"},
	"110": {"%m-%d-%Y", "MM-DD-YYYY"},
}

const styleList = "120 (yyyy-mm-dd hh:mi:ss), 121, 23 (yyyy-mm-dd), 108 (hh:mi:ss), 112, 111, 101, 102, 103, 104, 105, 110"

// cast is CAST(x AS ty) and CONVERT(ty, x[, style]).
func (tr *translator) cast(t token, x val, ty sqlType, style string, stylePos int) (elem, error) {
	fail := func(reason, hint string) (elem, error) {
		return elem{}, errAt(tr.src, t.pos, strings.ToUpper(t.text)+"(... "+ty.raw+" ...)", reason, hint)
	}
	if style != "" && !isStringType(ty.name) && !isDateType(ty.name) {
		return fail("a style only applies to text or datetime conversions", "drop the style")
	}
	isCast := strings.EqualFold(t.text, "CAST")
	castWord := t.text
	if !isCast {
		castWord = "CAST" // CONVERT(type, x) without a style is CAST(x AS type)
	}
	if tr.mode == Auto && style == "" && x.typ != vDT && tr.native(ty) {
		typ := castType(ty.name)
		if typ == vDate {
			typ = vUnknown // a native date: the target's own date arithmetic applies
		}
		return elem{text: castWord + "(" + x.text + " AS " + ty.raw + ")", typ: typ, simple: true}, nil
	}
	sq := tr.target == SQLite
	switch name := ty.name; {
	case name == "int" || name == "integer" || name == "bigint" || name == "smallint" || name == "tinyint":
		if x.typ == vDT {
			return fail("T-SQL counts a datetime as days since 1900-01-01", "use DATEDIFF(day, '1900-01-01', x)")
		}
		if sq {
			return elem{text: "CAST(" + x.text + " AS INTEGER)", typ: vNum, simple: true}, nil
		}
		pgt := "integer"
		if name == "bigint" {
			pgt = "bigint"
		}
		// T-SQL truncates 1.9 to 1; PostgreSQL would round.
		return elem{text: "CAST(trunc(CAST(" + x.text + " AS numeric)) AS " + pgt + ")", typ: vNum, simple: true}, nil
	case name == "float" || name == "real" || name == "double precision":
		if sq {
			return elem{text: "CAST(" + x.text + " AS REAL)", typ: vNum, simple: true}, nil
		}
		return elem{text: "CAST(" + x.text + " AS double precision)", typ: vNum, simple: true}, nil
	case name == "decimal" || name == "numeric" || name == "money" || name == "smallmoney":
		prec, scale := 18, 0
		if name == "money" || name == "smallmoney" {
			prec, scale = 19, 4
		}
		if len(ty.args) >= 1 {
			prec = ty.args[0]
		}
		if len(ty.args) >= 2 {
			scale = ty.args[1]
		}
		if sq {
			return elem{text: "round(CAST(" + x.text + " AS REAL), " + strconv.Itoa(scale) + ")", typ: vNum, simple: true}, nil
		}
		return elem{text: "CAST(" + x.text + " AS numeric(" + strconv.Itoa(prec) + ", " + strconv.Itoa(scale) + "))", typ: vNum, simple: true}, nil
	case name == "bit":
		return elem{text: "(CASE WHEN " + p(x) + " IS NULL THEN NULL WHEN " + p(x) + " <> 0 THEN 1 ELSE 0 END)", typ: vNum, simple: true}, nil
	case isStringType(name):
		if name == "char" || name == "nchar" {
			return fail("T-SQL pads char(n) with blanks", "use varchar(n)")
		}
		n := 30 // T-SQL's default length in CAST and CONVERT
		if len(ty.args) > 0 {
			n = ty.args[0]
		}
		if ty.max || name == "text" || name == "ntext" {
			n = 0
		}
		s, err := tr.toText(t, x, style, stylePos)
		if err != nil {
			return elem{}, err
		}
		if n > 0 && !(s.fixed > 0 && s.fixed <= n) {
			if sq {
				return elem{text: "substr(" + s.text + ", 1, " + strconv.Itoa(n) + ")", typ: vStr, simple: true}, nil
			}
			return elem{text: "CAST(" + s.text + " AS varchar(" + strconv.Itoa(n) + "))", typ: vStr, simple: true}, nil
		}
		return elem{text: s.text, typ: vStr, simple: true}, nil
	case isDateType(name):
		if x.typ == vNum {
			return fail("T-SQL counts a number as days since 1900-01-01", "use DATEADD(day, n, '1900-01-01')")
		}
		if style != "" {
			switch style {
			case "20", "120", "21", "121", "23", "126":
			default:
				return fail("style "+style+" is not translated for parsing", "write the value as 'yyyy-mm-dd hh:mi:ss' (style 120)")
			}
		}
		if name == "date" {
			if sq {
				return elem{text: "date(" + tr.sqliteTime(x) + ")", typ: vDate, simple: true}, nil
			}
			return elem{text: "CAST(" + x.text + " AS date)", typ: vDate, simple: true}, nil
		}
		if name == "time" {
			return fail("time values are not translated", "use CONVERT(varchar(8), x, 108)")
		}
		if x.typ == vDT {
			return elem{text: x.text, typ: vDT, base: x.base, jd: x.jd, simple: x.simple}, nil
		}
		if sq {
			text := "strftime('" + sqliteDT + "', " + x.text + ")"
			return elem{text: text, typ: vDT, base: x.text, simple: true}, nil
		}
		return elem{text: "CAST(" + x.text + " AS timestamp)", typ: vDT, simple: true}, nil
	}
	if tr.mode == Auto && isCast {
		// Not a T-SQL type mvapi knows: the target's own (jsonb, blob ...).
		return elem{text: t.text + "(" + x.text + " AS " + ty.raw + ")", typ: vUnknown, simple: true}, nil
	}
	return fail("type "+ty.raw+" is not translated", "use varchar(n), nvarchar(n), int, bigint, float, decimal(p,s), money, bit, date or datetime")
}

func castType(name string) vtype {
	switch {
	case isStringType(name):
		return vStr
	case name == "date":
		return vDate
	case name == "timestamp":
		return vUnknown
	}
	return vNum
}

func isStringType(name string) bool {
	switch name {
	case "varchar", "nvarchar", "char", "nchar", "text", "ntext", "sysname", "character varying", "national character varying":
		return true
	}
	return false
}

func isDateType(name string) bool {
	switch name {
	case "datetime", "datetime2", "smalldatetime", "date", "datetimeoffset", "time":
		return true
	}
	return false
}

type textVal struct {
	text  string
	fixed int // the length of the text when a style fixes it
}

// toText renders x as text, with a CONVERT style for a datetime.
func (tr *translator) toText(t token, x val, style string, stylePos int) (textVal, error) {
	if style == "" && x.typ == vDT {
		return textVal{}, errAt(tr.src, t.pos, "CONVERT(varchar, datetime) without a style", "T-SQL writes 'Jan  1 2024 10:00AM'",
			"give a style: CONVERT(varchar(19), x, 120) for yyyy-mm-dd hh:mi:ss")
	}
	if style == "" {
		if tr.target == SQLite {
			return textVal{text: "CAST(" + x.text + " AS TEXT)"}, nil
		}
		return textVal{text: "CAST(" + x.text + " AS text)"}, nil
	}
	ds, ok := dateStyles[style]
	if !ok || ds.sqlite == "" {
		return textVal{}, errAt(tr.src, stylePos, "style "+style, "is not translated", "use one of "+styleList)
	}
	if tr.target == SQLite {
		return textVal{text: "strftime('" + ds.sqlite + "', " + tr.sqliteTime(x) + ")", fixed: len(ds.pg) - 2*strings.Count(ds.pg, "24")}, nil
	}
	return textVal{text: "to_char(" + tr.pgTimestamp(x) + ", '" + ds.pg + "')", fixed: len(ds.pg) - 2*strings.Count(ds.pg, "24")}, nil
}
