package tsql

import (
	"strings"

	"mvapi/engine/sqltemplate"
)

// tkind is the kind of one token of customsql text.
type tkind int

const (
	tSpace   tkind = iota // blanks and comments
	tWord                 // identifier or SQL keyword
	tNum                  // number
	tStr                  // '...' string literal, with any N, E or U& prefix
	tQIdent               // "..." or `...` identifier, or a $tag$...$tag$ string
	tBracket              // [name] identifier (not an mvapi keyword)
	tKey                  // an mvapi keyword: [USERID], [USERNAME], [SPARAMn], {name}
	tVar                  // @name or @@name
	tOp                   // punctuation and operators
	tOpen                 // (
	tClose                // )
)

// token is one token; pos is its byte offset in the source.
type token struct {
	kind tkind
	text string
	pos  int
	key  sqltemplate.Key // for tKey
}

// lex cuts src into tokens. Keywords are recognised exactly as the
// sqltemplate compiler recognises them (sqltemplate.KeywordAt), so a
// keyword is always one token and translation never splits or moves its
// text.
func lex(src string) ([]token, error) {
	toks := make([]token, 0, len(src)/4+4)
	err := scan(src, func(t token) bool { toks = append(toks, t); return true })
	if err != nil {
		return nil, err
	}
	return toks, nil
}

// scan cuts src into tokens as lex does, handing each to emit in order
// without keeping them; it stops early, returning nil, when emit returns
// false.
func scan(src string, emit func(token) bool) error {
	stop := false
	add := func(k tkind, i, j int) { stop = !emit(token{kind: k, text: src[i:j], pos: i}) }
	for i := 0; i < len(src) && !stop; {
		ch := src[i]
		switch {
		case isSpace(ch):
			j := i + 1
			for j < len(src) && isSpace(src[j]) {
				j++
			}
			add(tSpace, i, j)
			i = j
		case ch == '-' && at(src, i+1) == '-':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src)
			} else {
				j += i
			}
			add(tSpace, i, j)
			i = j
		case ch == '/' && at(src, i+1) == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return errAt(src, i, "/*", "unterminated block comment", "close it with */")
			}
			add(tSpace, i, i+j+4)
			i += j + 4
		case ch == '\'':
			j := literalEnd(src, i, false)
			if j < 0 {
				return errAt(src, i, "'", "unterminated string literal", "close it with '")
			}
			add(tStr, i, j)
			i = j
		case ch == '"' || ch == '`':
			j := quotedEnd(src, i, ch)
			if j < 0 {
				return errAt(src, i, string(ch), "unterminated quoted identifier", "close it with "+string(ch))
			}
			add(tQIdent, i, j)
			i = j
		case ch == '[' || ch == '{':
			if k, n, ok := sqltemplate.KeywordAt(src, i); ok {
				stop = !emit(token{kind: tKey, text: src[i : i+n], pos: i, key: k})
				i += n
				continue
			}
			if ch == '{' {
				add(tOp, i, i+1)
				i++
				continue
			}
			j := quotedEnd(src, i, ']')
			if j < 0 {
				return errAt(src, i, "[", "unterminated bracket identifier", "close it with ]")
			}
			add(tBracket, i, j)
			i = j
		case ch == '$':
			j := i + 1
			for j < len(src) && (isWordStart(src[j]) || isDigit(src[j])) {
				j++
			}
			if at(src, j) == '$' && (j == i+1 || !isDigit(src[i+1])) {
				tag := src[i : j+1]
				end := strings.Index(src[j+1:], tag)
				if end < 0 {
					return errAt(src, i, tag, "unterminated dollar-quoted string", "close it with "+tag)
				}
				add(tQIdent, i, j+1+end+len(tag))
				i = j + 1 + end + len(tag)
				continue
			}
			add(tOp, i, i+1)
			i++
		case ch == '@':
			j := i + 1
			if at(src, j) == '@' {
				j++
			}
			for j < len(src) && isWordChar(src[j]) {
				j++
			}
			add(tVar, i, j)
			i = j
		case strings.HasPrefix(src[i:], "–"): // en dash, as the reference prints "getdate() – 1"
			add(tOp, i, i+len("–"))
			i += len("–")
		case isWordStart(ch):
			j := i + 1
			for j < len(src) && isWordChar(src[j]) {
				j++
			}
			w := src[i:j]
			if len(w) == 1 && at(src, j) == '\'' && (w == "N" || w == "n" || w == "E" || w == "e") {
				end := literalEnd(src, j, w == "E" || w == "e")
				if end < 0 {
					return errAt(src, i, w+"'", "unterminated string literal", "close it with '")
				}
				add(tStr, i, end)
				i = end
				continue
			}
			if (w == "U" || w == "u") && strings.HasPrefix(src[j:], "&'") {
				end := literalEnd(src, j+1, false)
				if end < 0 {
					return errAt(src, i, "U&'", "unterminated string literal", "close it with '")
				}
				add(tStr, i, end)
				i = end
				continue
			}
			add(tWord, i, j)
			i = j
		case isDigit(ch) || ch == '.' && isDigit(at(src, i+1)):
			j := i + 1
			for j < len(src) && (isWordStart(src[j]) || isDigit(src[j]) || src[j] == '.' ||
				(src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E') && isDigit(at(src, j+1))) {
				j++
			}
			add(tNum, i, j)
			i = j
		case ch == '(':
			add(tOpen, i, i+1)
			i++
		case ch == ')':
			add(tClose, i, i+1)
			i++
		default:
			n := 1
			switch src[i:min(i+2, len(src))] {
			case "<>", "!=", "<=", ">=", "!<", "!>", "||", "::", "==":
				n = 2
			}
			add(tOp, i, i+n)
			i += n
		}
	}
	return nil
}

// literalEnd returns the index just past the closing quote of the literal
// whose opening quote is src[q], or -1 when it is not terminated.
func literalEnd(src string, q int, backslash bool) int {
	for j := q + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if backslash {
				j++
			}
		case '\'':
			if at(src, j+1) != '\'' {
				return j + 1
			}
			j++
		}
	}
	return -1
}

// quotedEnd returns the index just past the token that starts at src[i]
// and ends with closer (doubled to escape), or -1.
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

func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isLetter(c byte) bool    { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isWordStart(c byte) bool { return isLetter(c) || c == '_' || c >= 0x80 }
func isWordChar(c byte) bool  { return isWordStart(c) || isDigit(c) || c == '$' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
