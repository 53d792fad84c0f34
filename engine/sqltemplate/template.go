package sqltemplate

import "errors"

// KeyKind tells what a keyword refers to.
type KeyKind int

// The kinds of keyword a placeholder can stand for.
const (
	UserID   KeyKind = iota + 1 // [USERID]: Name is empty
	UserName                    // [USERNAME]: Name is empty
	SParam                      // [SPARAMn]: Name is "sparamN" (lower case)
	Field                       // {name}: Name is the lower-cased name
	Param                       // {param:name}: Name is the lower-cased request parameter name
)

// Key is what one placeholder of a Template is bound to.
type Key struct {
	Kind KeyKind
	Name string
}

// Template is a compiled customsql statement. It is immutable and safe for
// concurrent use.
type Template struct {
	sql         string
	keys        []Key // one per placeholder, in placeholder order
	sync        bool
	returnsRows bool
	readOnly    bool
	stmts       []*Template // two or more statements; nil for one
}

// Compile turns the customsql text src into a parameterised statement for
// dialect d. Every keyword becomes a placeholder of d; the returned error
// says what failed and at which byte offset of src.
func Compile(src string, d Dialect) (*Template, error) {
	if d == nil {
		return nil, errors.New("customsql: nil dialect")
	}
	start := skipSpace(src, 0)
	sync := false
	if at(src, start) == '*' {
		sync = true
		start++
	}
	if skipSpace(src, start) == len(src) {
		return nil, errors.New("customsql: empty template")
	}
	c := newCompiler(src, d)
	err := c.run(start)
	if err != nil {
		return nil, err
	}
	t := &Template{
		sql:         trimSpace(c.out.String()),
		keys:        c.keys,
		sync:        sync,
		returnsRows: c.rows,
		readOnly:    c.reads && !c.writes,
	}
	if len(c.semis) > 0 && !c.noSplit {
		if t.stmts, err = split(src, start, c.semis, d, sync); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// split compiles each statement of src[start:], whose statements end at
// the offsets semis, as a template of its own (placeholders numbered from
// 1 in each). It returns nil when there is only one statement.
func split(src string, start int, semis []int, d Dialect, sync bool) ([]*Template, error) {
	var out []*Template
	for _, end := range append(semis, len(src)) {
		seg := src[start:end]
		start = end + 1
		c := newCompiler(seg, d)
		if err := c.run(0); err != nil {
			return nil, err
		}
		if !c.sawToken { // blanks and comments only
			continue
		}
		out = append(out, &Template{sql: trimSpace(c.out.String()), keys: c.keys, sync: sync, returnsRows: c.rows})
	}
	if len(out) < 2 {
		return nil, nil
	}
	return out, nil
}

// Statements returns the statements of a template written as several
// separated by ';' (outside literals, comments, parentheses and BEGIN ...
// END or CASE ... END blocks), each a template of its own whose
// placeholders are numbered from 1: executed one by one, each binds its
// own arguments (SQLite would bind every statement of one text from the
// first argument, PostgreSQL refuses several statements with arguments).
// A template of one statement, or one that DECLAREs T-SQL variables
// (they live for the whole batch), returns itself alone.
func (t *Template) Statements() []*Template {
	if len(t.stmts) > 1 {
		return append([]*Template(nil), t.stmts...)
	}
	return []*Template{t}
}

// SQL returns the final statement with the dialect's placeholders.
func (t *Template) SQL() string { return t.sql }

// Keys returns one Key per placeholder, in placeholder order: a keyword
// used twice appears twice. The slice is a copy.
func (t *Template) Keys() []Key { return append([]Key(nil), t.keys...) }

// Sync reports whether the source started with '*' (after leading
// whitespace). The '*' is not part of SQL.
func (t *Template) Sync() bool { return t.sync }

// ReturnsRows reports whether the statement is expected to produce rows:
// its first keyword (after whitespace, comments, '(' and ';') is SELECT,
// WITH, VALUES, PRAGMA, SHOW, EXPLAIN, EXEC, EXECUTE, CALL or DESCRIBE, or
// a RETURNING or OUTPUT word appears outside parentheses, literals,
// comments and quoted identifiers.
func (t *Template) ReturnsRows() bool { return t.returnsRows }

// ReadOnly reports whether the template is one statement that only
// reads: its first keyword is SELECT, WITH or VALUES and no word that
// writes or calls code (INSERT, UPDATE, DELETE, MERGE, INTO, CREATE,
// DROP, ALTER, TRUNCATE, GRANT, REVOKE, EXEC, EXECUTE, CALL, COPY, LOCK,
// DECLARE, SET) appears outside literals, comments and quoted
// identifiers. A function that writes (nextval, a procedure's side
// effects) is not seen; a hot standby refuses it by itself.
func (t *Template) ReadOnly() bool { return t.readOnly && t.stmts == nil }

// Args returns one argument per Key, in placeholder order. lookup is called
// once per placeholder; when it reports false (or lookup is nil) the
// argument is nil, which binds SQL NULL.
func (t *Template) Args(lookup func(Key) (any, bool)) []any {
	args := make([]any, len(t.keys))
	if lookup == nil {
		return args
	}
	for i, k := range t.keys {
		if v, ok := lookup(k); ok {
			args[i] = v
		}
	}
	return args
}
