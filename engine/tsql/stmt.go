package tsql

import "strings"

// nextSig returns the index of the first non-space element at or after i.
func nextSig(es []elem, i int) int {
	for i < len(es) && es[i].kind == eSpace {
		i++
	}
	return i
}

func isWord(es []elem, i int, w string) bool {
	return i < len(es) && es[i].kind == eWord && es[i].word == w
}

// statements handles, per ';'-separated statement of one level, what
// concerns whole statements: TOP becomes LIMIT at the end of the level,
// SELECT ... INTO and EXEC are refused.
func (tr *translator) statements(es []elem) ([]elem, error) {
	var out []elem
	start := 0
	for i := 0; i <= len(es); i++ {
		if i < len(es) && !(es[i].kind == eOp && es[i].text == ";") {
			continue
		}
		seg, err := tr.statement(es[start:i])
		if err != nil {
			return nil, err
		}
		out = append(out, seg...)
		if i < len(es) {
			out = append(out, es[i])
		}
		start = i + 1
	}
	return out, nil
}

func (tr *translator) statement(es []elem) ([]elem, error) {
	first := nextSig(es, 0)
	if isWord(es, first, "EXEC") || isWord(es, first, "EXECUTE") {
		return nil, errAt(tr.src, es[first].pos, es[first].text+" procedure", "stored procedures do not exist on "+tr.target.String(),
			"write the procedure's statements in customsql"+map[Target]string{Postgres: " (or CALL proc(...) / SELECT fn(...) for a PostgreSQL procedure or function)"}[tr.target])
	}
	var limit string
	limitPos := -1
	head := ""
	compound := -1
	for i := 0; i < len(es); i++ {
		e := es[i]
		if e.kind != eWord {
			continue
		}
		switch e.word {
		case "UNION", "EXCEPT", "INTERSECT":
			compound = e.pos
			if limit != "" {
				return nil, errAt(tr.src, limitPos, "TOP in a UNION", "LIMIT would cut the whole compound statement, TOP cuts one SELECT",
					"put the SELECT TOP in parentheses: SELECT * FROM (SELECT TOP n ...) AS t UNION ...")
			}
		case "INSERT", "UPDATE", "DELETE", "MERGE":
			head = e.word
			if k := nextSig(es, i+1); isWord(es, k, "TOP") {
				return nil, errAt(tr.src, es[k].pos, e.word+" TOP", "SQLite and PostgreSQL cannot limit a write",
					"use WHERE id IN (SELECT TOP n id FROM ... ORDER BY ...)")
			}
		case "FROM":
			if head == "SELECT" {
				head = "FROM"
			}
		case "INTO":
			if head == "SELECT" {
				return nil, errAt(tr.src, e.pos, "SELECT ... INTO", "creates a table, which SQLite and PostgreSQL write differently",
					"write CREATE TABLE t AS SELECT ... or INSERT INTO t (...) SELECT ...")
			}
		case "SELECT":
			if head == "" || head == "FROM" {
				head = "SELECT"
			}
			k := nextSig(es, i+1)
			if isWord(es, k, "DISTINCT") || isWord(es, k, "ALL") {
				k = nextSig(es, k+1)
			}
			if !isWord(es, k, "TOP") {
				continue
			}
			if compound >= 0 {
				return nil, errAt(tr.src, es[k].pos, "TOP in a UNION", "LIMIT would cut the whole compound statement, TOP cuts one SELECT",
					"put the SELECT TOP in parentheses: SELECT * FROM (SELECT TOP n ...) AS t")
			}
			if limit != "" {
				return nil, errAt(tr.src, es[k].pos, "TOP", "a second TOP at the same level", "put the inner SELECT in parentheses")
			}
			v := nextSig(es, k+1)
			if v >= len(es) || es[v].kind != eVal || strings.HasPrefix(es[v].text, "'") || strings.TrimSpace(strings.Trim(es[v].text, "()")) == "" {
				return nil, errAt(tr.src, es[k].pos, "TOP", "TOP needs a number, a keyword or a parenthesised expression", "write TOP 10 or TOP ([SPARAM1])")
			}
			after := nextSig(es, v+1)
			if isWord(es, after, "TOP") {
				return nil, errAt(tr.src, es[after].pos, "TOP TOP", "TOP twice", "write TOP n once")
			}
			if isWord(es, after, "PERCENT") || isWord(es, after, "WITH") && isWord(es, nextSig(es, after+1), "TIES") {
				what := "PERCENT"
				if !isWord(es, after, "PERCENT") {
					what = "WITH TIES"
				}
				return nil, errAt(tr.src, es[after].pos, "TOP ... "+what, "has no LIMIT equivalent", "use TOP n with an ORDER BY")
			}
			limit, limitPos = es[v].text, es[k].pos
			// Drop "TOP n" and the blanks after it.
			end := v + 1
			if end < len(es) && es[end].kind == eSpace {
				end++
			}
			es = append(es[:k:k], es[end:]...)
			i = k - 1
		}
	}
	if limit == "" {
		return es, nil
	}
	last := len(es) - 1
	for last >= 0 && es[last].kind == eSpace {
		last--
	}
	tail := append([]elem(nil), es[last+1:]...)
	out := append(es[:last+1:last+1], elem{text: " LIMIT " + limit, kind: eOp, pos: limitPos})
	// A trailing -- comment must not swallow the LIMIT: it went before it.
	return append(out, tail...), nil
}
