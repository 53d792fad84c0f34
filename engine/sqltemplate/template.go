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
	if err := c.run(start); err != nil {
		return nil, err
	}
	return &Template{
		sql:         trimSpace(c.out.String()),
		keys:        c.keys,
		sync:        sync,
		returnsRows: c.rows,
	}, nil
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
