package tsql

import "strings"

// term is one operand of + and -: [sign] primary ((*|/|%) [sign] primary)*.
type term struct {
	elem
	start, end int // element range
}

// parseTerm parses a term starting at es[i] (a non-space element).
func (tr *translator) parseTerm(es []elem, i int) (term, bool) {
	j := i
	if es[j].kind == eOp && (es[j].text == "-" || es[j].text == "+") {
		j = nextSig(es, j+1)
	}
	if j >= len(es) || es[j].kind != eVal {
		return term{}, false
	}
	t := term{elem: es[j], start: i, end: j + 1}
	if j != i {
		operand := es[j].text
		if es[j].key && tr.target == Postgres {
			// PostgreSQL cannot negate a parameter of unknown type.
			operand = "CAST(" + operand + " AS numeric)"
		}
		t.elem = elem{text: join(es[i:j]) + operand, kind: eVal, pos: es[i].pos, typ: numOr(es[j].typ)}
	}
	for {
		k := nextSig(es, t.end)
		if k >= len(es) || es[k].kind != eOp || (es[k].text != "*" && es[k].text != "/" && es[k].text != "%") {
			return t, true
		}
		m := nextSig(es, k+1)
		if m < len(es) && es[m].kind == eOp && (es[m].text == "-" || es[m].text == "+") {
			m = nextSig(es, m+1)
		}
		if m >= len(es) || es[m].kind != eVal {
			return t, true
		}
		typ := vUnknown
		if t.typ == vNum && es[m].typ == vNum {
			typ = vNum
		}
		t = term{elem: elem{text: t.text + join(es[t.end:m+1]), kind: eVal, pos: es[t.start].pos, typ: typ}, start: t.start, end: m + 1}
	}
}

func numOr(t vtype) vtype {
	if t == vNum {
		return vNum
	}
	return vUnknown
}

func join(es []elem) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.text)
	}
	return b.String()
}

// expressions folds the + and - chains of one level: datetime ± days and
// string + string.
func (tr *translator) expressions(es []elem) ([]elem, error) {
	var out []elem
	for i := 0; i < len(es); {
		if es[i].kind == eSpace {
			out = append(out, es[i])
			i++
			continue
		}
		t, ok := tr.parseTerm(es, i)
		if !ok {
			out = append(out, es[i])
			i++
			continue
		}
		acc, end := t.elem, t.end
		for {
			k := nextSig(es, end)
			if k >= len(es) || es[k].kind != eOp || (es[k].text != "+" && es[k].text != "-") {
				break
			}
			m := nextSig(es, k+1)
			if m >= len(es) {
				break
			}
			b, ok := tr.parseTerm(es, m)
			if !ok {
				break
			}
			var err error
			acc, err = tr.combine(acc, es[k], join(es[end:m]), b.elem)
			if err != nil {
				return nil, err
			}
			end = b.end
		}
		if end != t.end {
			acc.kind = eVal
		}
		out = append(out, acc)
		i = end
	}
	return out, nil
}

// combine applies the + or - operator op to acc and b; mid is the text
// between them as written (blanks and the operator).
func (tr *translator) combine(acc elem, op elem, mid string, b elem) (elem, error) {
	plain := func(typ vtype) elem {
		left := acc.text
		if acc.concat {
			left = "(" + left + ")"
		}
		return elem{text: left + mid + b.text, kind: eVal, pos: acc.pos, typ: typ}
	}
	if acc.typ == vDate || b.typ == vDate {
		return elem{}, errAt(tr.src, op.pos, "date "+op.text+" number", "T-SQL refuses arithmetic on a date value", "use DATEADD(day, n, x), or CAST(x AS datetime)")
	}
	switch {
	case acc.typ == vDT && b.typ == vDT, acc.typ == vDT && dtCols[b.col], b.typ == vDT && dtCols[acc.col]:
		return elem{}, errAt(tr.src, op.pos, "datetime "+op.text+" datetime", "T-SQL answers a datetime counted from 1900-01-01",
			"use DATEDIFF(second, a, b) (or minute, hour, day) for the difference")
	case acc.typ == vDT && isLiteral(b), isLiteral(acc) && b.typ == vDT:
		return elem{}, errAt(tr.src, op.pos, "datetime "+op.text+" string", "T-SQL converts the string to a datetime first",
			"use DATEADD(day, n, x), or CAST('...' AS datetime)")
	case acc.typ == vDT:
		return tr.addDays(acc, op.text, b), nil
	case b.typ == vDT && op.text == "+":
		return tr.addDays(b, "+", acc), nil
	case b.typ == vDT:
		return elem{}, errAt(tr.src, op.pos, "number - datetime", "T-SQL answers a datetime counted from 1900-01-01", "use DATEADD or DATEDIFF")
	}
	if op.text != "+" {
		return plain(numIf(acc.typ == vNum && b.typ == vNum)), nil
	}
	strA, strB := acc.typ == vStr, b.typ == vStr
	if strA && b.typ == vNull || strB && acc.typ == vNull {
		strA, strB = true, true // NULL either way; || keeps it valid on PostgreSQL
	}
	switch {
	case strA && strB:
		return elem{text: tr.operand(acc) + " || " + tr.operand(b), kind: eVal, pos: acc.pos, typ: vStr, concat: true}, nil
	case strA && b.typ == vUnknown || strB && acc.typ == vUnknown:
		if tr.mode == TSQL {
			return elem{}, errAt(tr.src, op.pos, "+", "T-SQL adds numbers and concatenates strings, and the type of one operand is not known",
				"write || (or CONCAT(a, b)) to concatenate, or CAST(x AS int) to add")
		}
	}
	return plain(numIf(acc.typ == vNum && b.typ == vNum)), nil
}

func numIf(b bool) vtype {
	if b {
		return vNum
	}
	return vUnknown
}

// operand renders e as an operand of ||, which binds tighter than * in
// SQLite: compound terms get parentheses.
func (tr *translator) operand(e elem) string {
	if e.simple || e.concat {
		return strings.TrimSpace(e.text)
	}
	return "(" + strings.TrimSpace(e.text) + ")"
}

// addDays is T-SQL's datetime ± n: n days (fractions are parts of a day).
func (tr *translator) addDays(d elem, op string, n elem) elem {
	ns := strings.TrimSpace(n.text)
	if !n.simple || strings.HasPrefix(ns, "-") {
		ns = "(" + ns + ")"
	}
	if n.typ != vNum && tr.target == Postgres {
		ns = "CAST(" + strings.TrimSpace(n.text) + " AS double precision)"
	}
	if tr.target == SQLite {
		jd := tr.julian(d.val()) + " " + op + " " + ns
		return elem{text: "strftime('" + sqliteDT + "', " + jd + ")", kind: eVal, typ: vDT, jd: jd, pos: d.pos, simple: true,
			base: "strftime('" + sqliteDT + "', " + jd + ")"}
	}
	ts := tr.pgTimestamp(d.val())
	if d.typ == vDT && d.base != "" {
		ts = d.base // CURRENT_TIMESTAMP left as written in auto mode: compute in UTC
	}
	text := "(" + ts + " " + op + " " + ns + " * INTERVAL '1 day')"
	return elem{text: text, kind: eVal, typ: vDT, base: text, pos: d.pos, simple: true}
}

// isLiteral reports whether e is a quoted string literal.
func isLiteral(e elem) bool { return strings.HasPrefix(strings.TrimSpace(e.text), "'") }
