package tsql

import (
	"strings"

	"mvapi/engine/sqltemplate"
)

// maxOut bounds a translation's length (see level).
const maxOut = 256 << 10

// translator holds the state of one Translate call.
type translator struct {
	src    string
	target Target
	mode   Mode
}

// node is a token or a parenthesised group of nodes.
type node struct {
	tok   token // the token, or the '(' of a group
	group bool
	kids  []*node
}

// tree nests the tokens by parentheses.
func (tr *translator) tree(toks []token) ([]*node, error) {
	stack := [][]*node{nil}
	var opens []token
	for _, t := range toks {
		switch t.kind {
		case tOpen:
			stack = append(stack, nil)
			opens = append(opens, t)
		case tClose:
			if len(stack) == 1 {
				return nil, errAt(tr.src, t.pos, ")", "unbalanced parenthesis", "remove it or add the matching (")
			}
			g := &node{tok: opens[len(opens)-1], group: true, kids: stack[len(stack)-1]}
			stack, opens = stack[:len(stack)-1], opens[:len(opens)-1]
			stack[len(stack)-1] = append(stack[len(stack)-1], g)
		default:
			stack[len(stack)-1] = append(stack[len(stack)-1], &node{tok: t})
		}
	}
	if len(opens) > 0 {
		return nil, errAt(tr.src, opens[len(opens)-1].pos, "(", "unclosed parenthesis", "add the matching )")
	}
	return stack[0], nil
}

// vtype is what the translator knows of an expression's type.
type vtype int

const (
	vUnknown vtype = iota
	vStr
	vNum
	vDT   // datetime
	vDate // date (T-SQL refuses arithmetic on it)
	vNull
)

// ekind is the role of one element of a level.
type ekind int

const (
	eSpace ekind = iota // blanks and comments
	eWord               // a reserved SQL word
	eVal                // a primary: identifier, literal, keyword, call, group
	eOp                 // an operator or punctuation
)

// elem is one translated element of a parenthesis level.
type elem struct {
	text   string
	kind   ekind
	word   string // upper case, for eWord
	typ    vtype
	base   string // for vDT: the value as date functions take it ('now' on SQLite)
	jd     string // for vDT on SQLite: the value as a julian day number
	pos    int
	simple bool   // one token, call or group: safe as an operand without parentheses
	concat bool   // the result of || concatenation
	key    bool   // an mvapi keyword (a bound parameter)
	col    string // the lower-case column name of an identifier
}

// val is a translated expression (an argument or a whole level).
type val struct {
	text   string
	typ    vtype
	base   string
	jd     string
	simple bool
	pos    int
}

func (e elem) val() val {
	return val{text: e.text, typ: e.typ, base: e.base, jd: e.jd, simple: e.simple, pos: e.pos}
}

// statementList translates the top level.
func (tr *translator) statementList(nodes []*node) (string, error) {
	v, err := tr.level(nodes, 0)
	if err != nil {
		return "", err
	}
	return v.text, nil
}

// level translates the nodes of one parenthesis level.
func (tr *translator) level(nodes []*node, pos int) (val, error) {
	es, err := tr.elems(nodes)
	if err != nil {
		return val{}, err
	}
	if es, err = tr.statements(es); err != nil {
		return val{}, err
	}
	if es, err = tr.expressions(es); err != nil {
		return val{}, err
	}
	var b strings.Builder
	var only *elem
	count := 0
	for i := range es {
		b.WriteString(es[i].text)
		if es[i].kind != eSpace {
			count++
			only = &es[i]
		}
	}
	if b.Len() > max(maxOut, 32*len(tr.src)) {
		// Some translations repeat an operand (RIGHT, DATEDIFF, CHARINDEX
		// with a start): nesting them many times would grow without bound.
		return val{}, errAt(tr.src, pos, "nested expression", "its translation grows too long", "nest fewer date and string functions")
	}
	v := val{text: b.String(), pos: pos}
	if count == 1 {
		v.typ, v.base, v.jd, v.simple = only.typ, only.base, only.jd, only.simple
		if only.kind != eVal {
			v.typ = vUnknown
		}
	}
	return v, nil
}

// next returns the index of the first non-space node at or after i.
func next(nodes []*node, i int) int {
	for i < len(nodes) && !nodes[i].group && nodes[i].tok.kind == tSpace {
		i++
	}
	return i
}

func isOp(n *node, op string) bool { return !n.group && n.tok.kind == tOp && n.tok.text == op }

// elems turns nodes into elements: calls, hints, identifiers, literals.
func (tr *translator) elems(nodes []*node) ([]elem, error) {
	var es []elem
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if n.group {
			v, err := tr.level(n.kids, n.tok.pos)
			if err != nil {
				return nil, err
			}
			e := elem{text: "(" + v.text + ")", kind: eVal, typ: v.typ, base: v.base, jd: v.jd, pos: n.tok.pos, simple: true}
			if v.typ == vDT && tr.target == Postgres {
				e.base = e.text
			}
			es = append(es, e)
			continue
		}
		t := n.tok
		switch t.kind {
		case tSpace:
			es = append(es, elem{text: t.text, kind: eSpace, pos: t.pos})
		case tNum:
			es = append(es, elem{text: t.text, kind: eVal, typ: vNum, pos: t.pos, simple: true})
		case tStr:
			text := t.text
			if text[0] == 'N' || text[0] == 'n' {
				text = text[1:] // N'...': every string of SQLite and PostgreSQL is Unicode
			}
			es = append(es, elem{text: text, kind: eVal, typ: vStr, pos: t.pos, simple: true})
		case tKey:
			if len(es) > 0 && es[len(es)-1].kind == eOp && es[len(es)-1].text == "." {
				return nil, errAt(tr.src, t.pos, "."+t.text, t.text+" is an mvapi keyword, not a column name",
					"write the column without brackets ("+strings.Trim(t.text, "[]{}")+")")
			}
			es = append(es, elem{text: t.text, kind: eVal, typ: keyType(t.key), pos: t.pos, simple: true, key: true})
		case tVar:
			e, err := tr.variable(t)
			if err != nil {
				return nil, err
			}
			es = append(es, e)
		case tOp:
			switch t.text {
			case "–":
				es = append(es, elem{text: "-", kind: eOp, pos: t.pos})
			case "!<", "!>":
				op := map[string]string{"!<": ">=", "!>": "<="}[t.text]
				// Blanks keep the new operator from merging with a neighbour ("!!<").
				if t.pos > 0 && !isSpace(tr.src[t.pos-1]) {
					op = " " + op
				}
				if end := t.pos + 2; end < len(tr.src) && !isSpace(tr.src[end]) {
					op += " "
				}
				es = append(es, elem{text: op, kind: eOp, pos: t.pos})
			case "#":
				if j := i + 1; j < len(nodes) && !nodes[j].group && nodes[j].tok.kind == tWord {
					return nil, errAt(tr.src, t.pos, "#"+nodes[j].tok.text, "temporary tables do not exist outside SQL Server",
						"use a subquery or a WITH ... AS (...) common table expression")
				}
				es = append(es, elem{text: t.text, kind: eOp, pos: t.pos})
			default:
				es = append(es, elem{text: t.text, kind: eOp, pos: t.pos})
			}
		case tWord, tBracket, tQIdent:
			j, e, err := tr.word(nodes, i)
			if err != nil {
				return nil, err
			}
			if e != nil {
				es = append(es, *e)
			}
			i = j
		default:
			es = append(es, elem{text: t.text, kind: eOp, pos: t.pos})
		}
	}
	return es, nil
}

// keyType is the type of a keyword's bound value: [USERID] is a number,
// [USERNAME] and [SPARAMn] are the request's strings, {name} a string
// unless it names a known numeric column.
func keyType(k sqltemplate.Key) vtype {
	switch k.Kind {
	case sqltemplate.UserID:
		return vNum
	case sqltemplate.Field:
		if numCols[k.Name] {
			return vNum
		}
		if dtCols[k.Name] {
			return vUnknown
		}
	}
	return vStr
}

// variable translates @@IDENTITY and friends; T-SQL variables are refused.
func (tr *translator) variable(t token) (elem, error) {
	e := elem{kind: eVal, typ: vNum, pos: t.pos, simple: true}
	if t.text == "@" || t.text == "@@" { // PostgreSQL's @ (absolute value), not a variable
		return elem{text: t.text, kind: eOp, pos: t.pos}, nil
	}
	switch strings.ToUpper(t.text) {
	case "@@IDENTITY":
		e.text = tr.lastID()
		return e, nil
	case "@@ROWCOUNT":
		if tr.target == SQLite {
			e.text = "changes()"
			return e, nil
		}
		return e, errAt(tr.src, t.pos, t.text, "PostgreSQL has no @@ROWCOUNT", "use INSERT/UPDATE ... RETURNING, or let mvapi answer the rows affected")
	}
	if strings.HasPrefix(t.text, "@@") {
		return e, errAt(tr.src, t.pos, t.text, "SQL Server system variable", "remove it; "+tr.target.String()+" has no equivalent")
	}
	return e, errAt(tr.src, t.pos, t.text, "T-SQL variables do not exist in a single "+tr.target.String()+" statement",
		"use a keyword ([SPARAM1], {name}, [USERID]) or a subquery")
}

func (tr *translator) lastID() string {
	if tr.target == SQLite {
		return "last_insert_rowid()"
	}
	return "lastval()"
}

// word translates an identifier or SQL word at nodes[i], with what
// follows it (a call's arguments, a table hint, a dotted name). It returns
// the index of the last node it consumed and the element (nil when the
// construct is dropped).
func (tr *translator) word(nodes []*node, i int) (int, *elem, error) {
	t := nodes[i].tok
	w := strings.ToUpper(t.text)
	j := next(nodes, i+1)
	hasGroup := t.kind == tWord && j < len(nodes) && nodes[j].group
	if hasGroup {
		g := nodes[j]
		if w == "WITH" && isHintGroup(g) {
			return j, nil, nil
		}
		if fn, ok := funcs[w]; ok {
			e, err := fn(tr, t, g)
			if err != nil {
				return 0, nil, err
			}
			e.pos, e.kind = t.pos, eVal
			if e.text != "" && e.base == "" && e.typ == vDT {
				e.base = tr.dtBaseOf(e.text)
			}
			return j, &e, nil
		}
		if hint, ok := refused[w]; ok {
			return 0, nil, errAt(tr.src, t.pos, t.text+"()", "T-SQL function with no "+tr.target.String()+" translation", hint)
		}
		if !reserved[w] {
			if isHintGroup(g) { // tb_cdrs (NOLOCK)
				return j, &elem{text: t.text, kind: eVal, pos: t.pos, simple: true}, nil
			}
			args, err := tr.level(g.kids, g.tok.pos)
			if err != nil {
				return 0, nil, err
			}
			sp := ""
			for k := i + 1; k < j; k++ {
				sp += nodes[k].tok.text
			}
			return j, &elem{text: t.text + sp + "(" + args.text + ")", kind: eVal, pos: t.pos, simple: true}, nil
		}
	}
	if t.kind == tWord {
		switch {
		case w == "CURRENT_TIMESTAMP":
			e := tr.now()
			if tr.mode == Auto {
				e.text = t.text
			}
			e.pos = t.pos
			return i, &e, nil
		case w == "NULL":
			return i, &elem{text: t.text, kind: eVal, typ: vNull, pos: t.pos, simple: true}, nil
		case w == "DECLARE":
			return 0, nil, errAt(tr.src, t.pos, t.text, "T-SQL variables do not exist in a single "+tr.target.String()+" statement",
				"use a keyword ([SPARAM1], {name}, [USERID]) or a subquery")
		case w == "APPLY":
			return 0, nil, errAt(tr.src, t.pos, "CROSS/OUTER APPLY", "T-SQL join", "use a correlated subquery (or a LATERAL join on PostgreSQL)")
		case reserved[w]:
			return i, &elem{text: t.text, kind: eWord, word: w, pos: t.pos}, nil
		}
	}
	// An identifier, maybe dotted: a.b, [a].[b], t.*
	text, last := tr.ident(t)
	k := i
	for k+2 < len(nodes) && isOp(nodes[k+1], ".") && !nodes[k+2].group {
		nt := nodes[k+2].tok
		if nt.kind == tWord || nt.kind == tBracket || nt.kind == tQIdent {
			s, l := tr.ident(nt)
			text, last, k = text+"."+s, l, k+2
			continue
		}
		if nt.kind == tOp && nt.text == "*" {
			text, last, k = text+".*", "", k+2
		}
		break
	}
	e := &elem{text: text, kind: eVal, pos: t.pos, simple: true, col: last}
	if tr.mode == TSQL {
		switch {
		case dtCols[last]:
			e.typ = vDT
			e.base = tr.dtBaseOf(text)
		case textCols[last]:
			e.typ = vStr
		case numCols[last]:
			e.typ = vNum
		}
	}
	return k, e, nil
}

// ident renders one identifier token; it returns the text and the lower-case
// name (for the known-column lists).
func (tr *translator) ident(t token) (string, string) {
	switch t.kind {
	case tBracket:
		name := strings.ReplaceAll(t.text[1:len(t.text)-1], "]]", "]")
		if tr.target == SQLite && !strings.Contains(t.text, "]]") {
			// SQLite reads [name] itself; "name" would silently become a
			// string when no such column exists.
			return t.text, strings.ToLower(name)
		}
		if tr.target == Postgres {
			name = strings.ToLower(name) // T-SQL names are case-insensitive; mvapi's PostgreSQL names are lower case
		}
		return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`, strings.ToLower(name)
	case tQIdent:
		if len(t.text) >= 2 && (t.text[0] == '"' || t.text[0] == '`') {
			return t.text, strings.ToLower(t.text[1 : len(t.text)-1])
		}
		return t.text, ""
	}
	return t.text, strings.ToLower(t.text)
}

// dtBaseOf returns how date functions take the datetime expression text.
func (tr *translator) dtBaseOf(text string) string { return text }

// hintWords are the SQL Server table hints; they only steer locking, so
// dropping them keeps the result.
var hintWords = setOf("NOLOCK", "READUNCOMMITTED", "READCOMMITTED", "READCOMMITTEDLOCK", "READPAST",
	"ROWLOCK", "PAGLOCK", "TABLOCK", "TABLOCKX", "UPDLOCK", "XLOCK", "HOLDLOCK", "NOWAIT",
	"SERIALIZABLE", "REPEATABLEREAD", "FORCESEEK", "FORCESCAN", "NOEXPAND", "INDEX", "SNAPSHOT")

// isHintGroup reports whether g is (NOLOCK), (NOLOCK, READPAST), (INDEX(ix)) ...
func isHintGroup(g *node) bool {
	seen := false
	for k := 0; k < len(g.kids); k++ {
		n := g.kids[k]
		switch {
		case n.group:
			if k == 0 || g.kids[k-1].group || !strings.EqualFold(g.kids[k-1].tok.text, "INDEX") {
				return false
			}
		case n.tok.kind == tSpace || isOp(n, ","):
		case n.tok.kind == tWord && hintWords[strings.ToUpper(n.tok.text)]:
			seen = true
		case isOp(n, "=") && k > 0 && strings.EqualFold(g.kids[k-1].tok.text, "INDEX"):
		case n.tok.kind == tWord && k > 1 && isOp(g.kids[k-1], "="):
		default:
			return false
		}
	}
	return seen
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// reserved words are never a primary of an expression.
var reserved = setOf("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "CASE", "WHEN", "THEN", "ELSE", "END",
	"AS", "ON", "IN", "IS", "LIKE", "BETWEEN", "JOIN", "INNER", "LEFT", "RIGHT", "OUTER", "FULL", "CROSS",
	"GROUP", "BY", "ORDER", "HAVING", "UNION", "ALL", "DISTINCT", "INSERT", "INTO", "VALUES", "UPDATE",
	"SET", "DELETE", "TOP", "LIMIT", "OFFSET", "EXISTS", "ASC", "DESC", "WITH", "ESCAPE", "OVER",
	"PARTITION", "EXCEPT", "INTERSECT", "RETURNING", "OUTPUT", "DECLARE", "EXEC", "EXECUTE", "APPLY",
	"PERCENT", "TIES", "FETCH", "NEXT", "ROWS", "ROW", "ONLY", "USING", "MERGE", "MATCHED", "TABLE",
	"CREATE", "DROP", "ALTER", "INDEX", "PRIMARY", "KEY", "DEFAULT", "COLLATE", "BEGIN", "COMMIT",
	"ROLLBACK", "TRAN", "TRANSACTION", "IF", "WHILE", "RETURN", "GO", "PROC", "PROCEDURE", "FOR",
	"CURRENT_TIMESTAMP", "NULL", "OPTION", "ANY", "SOME", "WINDOW", "FILTER", "WITHIN", "INTERVAL")

// Known columns of mvapi's schema (schema/migrations): in tsql mode they
// give + and - their T-SQL meaning.
var (
	dtCols = setOf("datum", "statusdate", "created", "modified", "presencedate", "expires", "usedat",
		"lockeduntil", "lockedat", "updated", "delivered", "started", "lastrun", "nextrun", "tick",
		"finished", "first", "locked_until", "next_attempt", "lease_until", "sent_at")
	textCols = setOf("username", "password", "name", "email", "phone", "currency", "country", "address",
		"ip", "pin", "deviceid", "prefix", "destination", "caller", "called", "callednumber", "sipcallid",
		"kind", "ref", "fname", "customsql", "value")
	numCols = setOf("id", "type", "credit", "postpaid", "enabled", "temporarydisabled", "status", "parentid",
		"price", "callerid", "calledid", "duration", "cost", "reasoncode", "userid", "amount", "otheruserid")
)
