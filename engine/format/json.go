package format

import (
	"encoding/json"
	"strconv"
	"strings"
)

// appendJSON renders the json format:
//
//	{"code":200,"status":"OK","text":"...","rows":[{"col":"val",...},...]}
//
// "rows" is omitted when there is no table; "truncated":true follows
// "text" when the rows were cut. Each row object keeps the column
// order; duplicate column names get the suffixes _2, _3, ...
func appendJSON(dst []byte, r Result) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(r.Code()), 10)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, r.status()...)
	dst = append(dst, `","text":`...)
	dst = appendJSONString(dst, r.Text)
	if r.Truncated {
		dst = append(dst, `,"truncated":true`...)
	}
	if r.hasTable() {
		keys := make([][]byte, len(r.Columns))
		for i, name := range uniqueNames(r.Columns) {
			keys[i] = append(appendJSONString(nil, name), ':')
		}
		dst = append(dst, `,"rows":[`...)
		for n, row := range r.Rows {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			for i, key := range keys {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, key...)
				dst = appendJSONString(dst, cell(row, i))
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendJSONP renders the jsonp format: callback(JSON); callback must be
// valid (see ValidCallback).
func appendJSONP(dst []byte, r Result, callback string) []byte {
	dst = append(append(dst, callback...), '(')
	dst = appendJSON(dst, r)
	return append(dst, ");"...)
}

// appendJSONString appends s as a JSON string escaped by encoding/json, which
// also escapes <, >, &, U+2028 and U+2029 and replaces invalid UTF-8 with
// U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	b, err := json.Marshal(s)
	if err != nil { // cannot happen: every string marshals
		return append(dst, `""`...)
	}
	return append(dst, b...)
}

// uniqueNames returns the column names as JSON object keys: invalid UTF-8 is
// replaced (as encoding/json would) and a name already used gets the first
// free suffix _2, _3, ...
func uniqueNames(cols []string) []string {
	out := make([]string, len(cols))
	seen := make(map[string]bool, len(cols))
	for i, name := range cols {
		name = strings.ToValidUTF8(name, "\uFFFD")
		if seen[name] {
			for n := 2; ; n++ {
				alt := name + "_" + strconv.Itoa(n)
				if !seen[alt] {
					name = alt
					break
				}
			}
		}
		seen[name] = true
		out[i] = name
	}
	return out
}

// maxCallback is the longest accepted JSONP callback, in bytes.
const maxCallback = 64

// ValidCallback reports whether s is a safe JSONP callback name: ASCII
// JavaScript identifiers joined by '.', at most 64 bytes, such as "cb",
// "jQuery123_456" or "a.b.c". The first identifier must not be a reserved
// word. Brackets, quotes, parentheses, spaces and anything else are refused.
func ValidCallback(s string) bool {
	if s == "" || len(s) > maxCallback {
		return false
	}
	first := true
	for {
		part, rest, more := strings.Cut(s, ".")
		if !isIdent(part) || first && reserved[part] {
			return false
		}
		if !more {
			return true
		}
		s, first = rest, false
	}
}

// isIdent reports whether s is an ASCII JavaScript identifier name.
func isIdent(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// reserved holds the JavaScript reserved words, which cannot start a
// callback expression.
var reserved = map[string]bool{
	"await": true, "break": true, "case": true, "catch": true, "class": true,
	"const": true, "continue": true, "debugger": true, "default": true,
	"delete": true, "do": true, "else": true, "enum": true, "export": true,
	"extends": true, "false": true, "finally": true, "for": true,
	"function": true, "if": true, "implements": true, "import": true,
	"in": true, "instanceof": true, "interface": true, "let": true,
	"new": true, "null": true, "package": true, "private": true,
	"protected": true, "public": true, "return": true, "static": true,
	"super": true, "switch": true, "this": true, "throw": true, "true": true,
	"try": true, "typeof": true, "var": true, "void": true, "while": true,
	"with": true, "yield": true,
}
