// Package tsql translates the T-SQL that Mizu DBAs write in tb_api rows
// (customsql, {select ...} sub-queries, scheduled task SQL) into SQLite or
// PostgreSQL.
//
// The translator works on tokens, never on regular expressions over the
// text: string literals, quoted identifiers, comments and mvapi keywords
// ([USERID], [USERNAME], [SPARAMn], {name}) are single tokens that are copied
// untouched, so the sqltemplate compiler that runs afterwards still binds
// every keyword as a parameter. The translator never writes a placeholder
// and never splices a value into the text.
//
// What cannot be translated with T-SQL's meaning fails with an *Error that
// names the construct, its line and column and what to write instead; a
// statement is never translated into something that answers differently.
package tsql

import (
	"fmt"
	"strings"
)

// Target is the database a statement is translated for.
type Target int

// The targets. On SQLServer, Translate returns the text untouched.
const (
	SQLite Target = iota + 1
	Postgres
	SQLServer
)

// TargetFor returns the Target of a schema.Dialect name ("sqlite",
// "postgres", "sqlserver").
func TargetFor(dialect string) (Target, error) {
	switch dialect {
	case "sqlite":
		return SQLite, nil
	case "postgres":
		return Postgres, nil
	case "sqlserver":
		return SQLServer, nil
	}
	return 0, fmt.Errorf("tsql: unknown dialect %q", dialect)
}

func (t Target) String() string {
	switch t {
	case SQLite:
		return "SQLite"
	case Postgres:
		return "PostgreSQL"
	case SQLServer:
		return "SQL Server"
	}
	return "unknown target"
}

// Mode says how much of a statement is taken as T-SQL.
type Mode int

const (
	// Auto translates only what can only be T-SQL (never valid on the
	// target) and leaves the rest as written.
	Auto Mode = iota
	// TSQL takes the whole statement as T-SQL: + between string operands
	// is concatenation, known datetime columns take day arithmetic, CAST
	// keeps T-SQL's rounding.
	TSQL
	// Native runs the statement as written.
	Native
)

// ParseMode parses a customsqldialect value: auto (or empty), tsql, native.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "tsql", "t-sql":
		return TSQL, nil
	case "native":
		return Native, nil
	}
	return 0, fmt.Errorf("customsqldialect %q: use auto, tsql or native", s)
}

func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case TSQL:
		return "tsql"
	case Native:
		return "native"
	}
	return "unknown"
}

// Directive returns the mode a statement asks for in a leading
// "-- dialect: tsql" or "-- dialect: native" (or auto) comment. The comment
// may follow the sync marker '*' and blanks.
func Directive(src string) (Mode, bool) {
	s := strings.TrimLeft(src, " \t\r\n")
	s = strings.TrimPrefix(s, "*")
	s = strings.TrimLeft(s, " \t\r\n")
	if !strings.HasPrefix(s, "--") {
		return 0, false
	}
	line := s[2:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok || !strings.EqualFold(strings.TrimSpace(name), "dialect") {
		return 0, false
	}
	m, err := ParseMode(value)
	if err != nil {
		return 0, false
	}
	return m, true
}

// Error is a construct that cannot run on the target.
type Error struct {
	Offset    int    // byte offset in the source
	Line, Col int    // 1-based; Col counts bytes
	Construct string // the construct as written, e.g. "SELECT ... INTO"
	Reason    string // why it cannot run
	Hint      string // what to write instead
}

func (e *Error) Error() string {
	s := fmt.Sprintf("customsql: line %d:%d: %s: %s", e.Line, e.Col, e.Construct, e.Reason)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// errAt builds an *Error at byte offset pos of src.
func errAt(src string, pos int, construct, reason, hint string) *Error {
	pos = max(0, min(pos, len(src)))
	line := 1 + strings.Count(src[:pos], "\n")
	col := pos + 1
	if i := strings.LastIndexByte(src[:pos], '\n'); i >= 0 {
		col = pos - i
	}
	return &Error{Offset: pos, Line: line, Col: col, Construct: construct, Reason: reason, Hint: hint}
}

// Translate returns sql translated for target. A leading "-- dialect:"
// comment overrides mode. On SQLServer, or in Native mode, the text is
// returned untouched.
func Translate(sql string, target Target, mode Mode) (string, error) {
	if m, ok := Directive(sql); ok {
		mode = m
	}
	if target == SQLServer || mode == Native {
		return sql, nil
	}
	if target != SQLite && target != Postgres {
		return "", fmt.Errorf("tsql: unknown target %d", target)
	}
	if unchanged(sql, target, mode) { // most rows: no T-SQL in them
		return sql, nil
	}
	return translate(sql, target, mode)
}

// translate is the full translation of Translate, for a known target
// and a mode that translates.
func translate(sql string, target Target, mode Mode) (string, error) {
	toks, err := lex(sql)
	if err != nil {
		return "", err
	}
	tr := &translator{src: sql, target: target, mode: mode}
	root, err := tr.tree(toks)
	if err != nil {
		return "", err
	}
	out, err := tr.statementList(root)
	if err != nil {
		return "", err
	}
	return out, nil
}

// Split cuts sql into its ';'-separated statements (semicolons inside
// literals, identifiers and comments do not count); blank statements are
// dropped.
func Split(sql string) ([]string, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	var out []string
	start := 0
	flush := func(end int) {
		if s := strings.TrimSpace(sql[start:end]); s != "" {
			out = append(out, s)
		}
	}
	for _, t := range toks {
		if t.kind == tOp && t.text == ";" {
			flush(t.pos)
			start = t.pos + 1
		}
	}
	flush(len(sql))
	return out, nil
}
