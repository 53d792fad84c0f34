package sqltemplate

import (
	"fmt"
	"strings"
)

// compiler holds the state of one Compile call. It walks the source once;
// every branch of run consumes one token and copies or rewrites it.
type compiler struct {
	src  string
	d    Dialect
	out  strings.Builder
	keys []Key

	stem      string // common prefix of the dialect's placeholders
	anonymous bool   // every placeholder is exactly stem, e.g. "?"

	depth    int  // parenthesis depth in normal text
	sawToken bool // something other than blanks, comments, '(' or ';' was seen
	afterDot bool // the last significant normal-text byte was '.'
	rows     bool // see Template.ReturnsRows
	reads    bool // the first keyword only reads (see Template.ReadOnly)
	writes   bool // a word that writes appeared (see Template.ReadOnly)

	block   int   // open BEGIN ... END and CASE ... END blocks
	semis   []int // source offsets of the ';' that end a statement
	noSplit bool  // DECLARE: T-SQL variables live for the whole batch
}

func newCompiler(src string, d Dialect) *compiler {
	c := &compiler{src: src, d: d}
	c.out.Grow(len(src) + 16)
	p1, p2 := d.Placeholder(1), d.Placeholder(2)
	n := 0
	for n < len(p1) && n < len(p2) && p1[n] == p2[n] {
		n++
	}
	c.stem, c.anonymous = p1[:n], p1 == p2
	return c
}

// run compiles c.src[i:] in normal (top-level) text.
func (c *compiler) run(i int) error {
	src := c.src
	for i < len(src) {
		if err := c.checkRawPlaceholder(i); err != nil {
			return err
		}
		var err error
		switch ch := src[i]; {
		case ch == '\'':
			i, err = c.literal(i, i, false)
		case ch == '"':
			i, err = c.verbatim(i, quotedEnd(src, i, '"'), "quoted identifier")
		case ch == '[':
			i, err = c.bracket(i)
		case ch == '{':
			i = c.brace(i)
		case ch == '$':
			i, err = c.dollar(i)
		case ch == '-' && at(src, i+1) == '-':
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			c.out.WriteString(src[i : i+end])
			i += end
		case ch == '/' && at(src, i+1) == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return errorf("unterminated block comment starting at byte %d", i)
			}
			c.out.WriteString(src[i : i+end+4])
			i += end + 4
		case isWordStart(ch):
			i, err = c.word(i)
		case isDigit(ch): // a number: unlike a word, '$' ends it
			j := i + 1
			for j < len(src) && (isWordStart(src[j]) || isDigit(src[j]) || src[j] == '.') {
				j++
			}
			c.token(src[i:j])
			i = j
		default:
			if ch == ';' && c.depth == 0 && c.block == 0 {
				c.semis = append(c.semis, i)
			}
			c.punct(ch)
			i++
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkRawPlaceholder rejects a placeholder of the dialect written in
// normal text: it would shift every keyword's argument.
func (c *compiler) checkRawPlaceholder(i int) error {
	if c.stem == "" || !hasPrefixFold(c.src[i:], c.stem) {
		return nil
	}
	if !c.anonymous && !isDigit(at(c.src, i+len(c.stem))) {
		return nil
	}
	return errorf("raw placeholder %q at byte %d: use a keyword such as [SPARAM1]", c.src[i:i+len(c.stem)], i)
}

// word copies an identifier or SQL keyword, handles the N, E and U& prefixes
// of string literals and notes the words that make a statement return rows.
func (c *compiler) word(i int) (int, error) {
	src := c.src
	j := i + 1
	for j < len(src) && isWordChar(src[j]) {
		j++
	}
	w := src[i:j]
	if len(w) == 1 {
		switch lower(w[0]) {
		case 'n':
			if at(src, j) == '\'' {
				return c.literal(i, j, false)
			}
		case 'e':
			if at(src, j) == '\'' {
				return c.literal(i, j, true)
			}
		case 'u':
			if strings.HasPrefix(src[j:], "&'") {
				return c.literal(i, j+1, false)
			}
		}
	}
	if !c.sawToken && isRowKeyword(w) {
		c.rows = true
	}
	if !c.sawToken && isReadKeyword(w) {
		c.reads = true
	}
	if !c.afterDot && isWriteWord(w) {
		c.writes = true
	}
	if c.depth == 0 && !c.afterDot && (equalFold(w, "RETURNING") || equalFold(w, "OUTPUT")) {
		c.rows = true
	}
	if !c.afterDot {
		c.blocks(w, j)
	}
	c.token(w)
	return j, nil
}

// bracket compiles a bracket keyword or copies a bracket identifier.
func (c *compiler) bracket(i int) (int, error) {
	if k, n, ok := matchKeyword(c.src, i); ok {
		c.emit(c.placeholder(k), i+n)
		return i + n, nil
	}
	return c.verbatim(i, quotedEnd(c.src, i, ']'), "bracket identifier")
}

// brace compiles a {name} keyword; any other '{' is plain text.
func (c *compiler) brace(i int) int {
	if k, n, ok := matchKeyword(c.src, i); ok {
		c.emit(c.placeholder(k), i+n)
		return i + n
	}
	c.punct('{')
	return i + 1
}

// dollar copies a dollar-quoted string; any other '$' is plain text.
func (c *compiler) dollar(i int) (int, error) {
	src := c.src
	j := i + 1
	if isFieldStart(at(src, j)) || at(src, j) >= 0x80 {
		for j < len(src) && (isWordStart(src[j]) || isDigit(src[j])) {
			j++
		}
	}
	if at(src, j) != '$' {
		c.punct('$')
		return i + 1, nil
	}
	tag := src[i : j+1]
	end := strings.Index(src[j+1:], tag)
	if end < 0 {
		return 0, errorf("unterminated dollar-quoted string %s starting at byte %d", tag, i)
	}
	return c.verbatim(i, j+1+end+len(tag), "")
}

// verbatim copies src[i:end] as one token; end < 0 means the token was
// not terminated and what names it for the error.
func (c *compiler) verbatim(i, end int, what string) (int, error) {
	if end < 0 {
		return 0, errorf("unterminated %s starting at byte %d", what, i)
	}
	c.token(c.src[i:end])
	return end, nil
}

// quotedEnd returns the index just past the token that starts at src[i]
// and ends with the byte closer, where a doubled closer is an escape; it
// returns -1 when the token is not terminated.
func quotedEnd(src string, i int, closer byte) int {
	for j := i + 1; j < len(src); j++ {
		if src[j] != closer {
			continue
		}
		if at(src, j+1) != closer {
			return j + 1
		}
		j++
	}
	return -1
}

// placeholder records k and returns the dialect's placeholder for it.
func (c *compiler) placeholder(k Key) string {
	c.keys = append(c.keys, k)
	return c.d.Placeholder(len(c.keys))
}

// emit writes a generated expression; next is the source index that
// follows it. Blanks around it keep it from merging with a neighbouring
// token: "$[USERID]" must not become "$$1", nor "x[USERID]" "x$1".
func (c *compiler) emit(expr string, next int) {
	if s := c.out.String(); len(s) > 0 && !blankBefore(s[len(s)-1]) {
		c.out.WriteByte(' ')
	}
	c.token(expr)
	if next < len(c.src) && !blankAfter(c.src[next]) {
		c.out.WriteByte(' ')
	}
}

// blankBefore and blankAfter list the bytes next to which a generated
// expression needs no separating blank.
func blankBefore(c byte) bool { return isSpace(c) || c == '(' || c == ',' || c == '=' }
func blankAfter(c byte) bool  { return isSpace(c) || c == ')' || c == ',' || c == ';' || c == ':' }

// token writes one significant token.
func (c *compiler) token(s string) {
	c.out.WriteString(s)
	c.sawToken, c.afterDot = true, false
}

// punct writes one byte of normal text and tracks parentheses.
func (c *compiler) punct(ch byte) {
	c.out.WriteByte(ch)
	switch {
	case ch == '(':
		c.depth++
	case ch == ';' || isSpace(ch):
	case ch == '.':
		c.sawToken, c.afterDot = true, true
	default:
		if ch == ')' {
			c.depth = max(c.depth-1, 0)
		}
		c.sawToken, c.afterDot = true, false
	}
}

// errorf returns a compile error; messages end with the byte offset.
func errorf(format string, args ...any) error {
	return fmt.Errorf("customsql: "+format, args...)
}

// transactionWords may follow BEGIN when it starts a transaction, not a
// BEGIN ... END block.
var transactionWords = []string{"TRANSACTION", "TRAN", "WORK", "DEFERRED", "IMMEDIATE", "EXCLUSIVE", "DISTRIBUTED", "ISOLATION", "READ"}

// blocks tracks BEGIN ... END and CASE ... END, inside which a ';' does
// not end the statement (T-SQL blocks, SQLite triggers), and DECLARE,
// after which the text is never split (T-SQL variables live for the
// batch). w is a word of normal text and j the offset after it.
func (c *compiler) blocks(w string, j int) {
	switch {
	case equalFold(w, "CASE"):
		c.block++
	case equalFold(w, "END"):
		if c.block > 0 {
			c.block--
		}
	case equalFold(w, "DECLARE"):
		c.noSplit = true
	case equalFold(w, "BEGIN"):
		k := skipSpace(c.src, j)
		if k == len(c.src) || c.src[k] == ';' {
			return
		}
		e := k
		for e < len(c.src) && isWordChar(c.src[e]) {
			e++
		}
		for _, t := range transactionWords {
			if equalFold(c.src[k:e], t) {
				return
			}
		}
		c.block++
	}
}
