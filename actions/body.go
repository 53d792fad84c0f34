package actions

import (
	"errors"
	"fmt"
	"strings"

	"mvapi/engine/sqltemplate"
)

// piece is one part of a template: literal text, a {field} keyword or a
// {select ...} sub-query.
type piece struct {
	lit   string
	field string                // {name}: the lower-cased name
	param bool                  // {param:name}: field is a request parameter, always
	sub   *sqltemplate.Template // {select ...}
}

// text is a compiled template string.
type text []piece

// literal returns the text of t when it has no keyword.
func (t text) literal() (string, bool) {
	var b strings.Builder
	for _, p := range t {
		if p.field != "" || p.sub != nil {
			return "", false
		}
		b.WriteString(p.lit)
	}
	return b.String(), true
}

// Body is a compiled custom_action_body: the ***TO and ***SUBJECT lines of
// its start and the rest.
type Body struct {
	// To holds one template per address; literal commas or semicolons of
	// the ***TO line separate them, a substituted value never does.
	To []text
	// Subject is the ***SUBJECT line; HasSubject tells whether there was one.
	Subject    text
	HasSubject bool
	// Main is the message text (email body, SMS text, command line).
	Main text
	// HTML is true when the text starts with '<': values are HTML-escaped.
	HTML bool
}

// forbidden are names whose values must never reach an email, an SMS or a
// command line: credentials.
var forbidden = map[string]bool{
	"authpwd": true, "authmd5": true, "authkey": true, "authsalt": true, "authsalt1": true,
	"authsalt2": true, "password": true, "pwd": true, "nonce": true, "mcrfs": true,
	// secrets of built-ins: card data, new and old passwords, PINs
	"cardnum": true, "ccv2": true, "cvv": true, "expmonth": true, "expireyear": true,
	"newpassword": true, "oldpassword": true, "u_password": true, "pin": true,
	"forgotpasswordanswer": true, "pwdanswer": true, "smtppassword": true,
}

// ParseBody compiles a custom_action_body for dialect d. Errors say what is
// wrong and at which byte.
func ParseBody(src string, d sqltemplate.Dialect) (*Body, error) {
	b := &Body{}
	rest, off := src, 0
	for {
		line, after, more := strings.Cut(rest, "\n")
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "***") {
			break
		}
		name, value, ok := cutHeader(trimmed[3:])
		if !ok {
			return nil, fmt.Errorf("byte %d: %q: write ***TO=address or ***SUBJECT=text", off, clipText(trimmed))
		}
		switch name {
		case "TO":
			for _, slot := range splitSlots(value) {
				t, err := parseText(strings.TrimSpace(slot), d)
				if err != nil {
					return nil, fmt.Errorf("***TO: %w", err)
				}
				if len(t) > 0 {
					b.To = append(b.To, t)
				}
			}
		case "SUBJECT":
			t, err := parseText(strings.TrimSpace(value), d)
			if err != nil {
				return nil, fmt.Errorf("***SUBJECT: %w", err)
			}
			b.Subject, b.HasSubject = t, true
		default:
			return nil, fmt.Errorf("byte %d: unknown line ***%s: use ***TO or ***SUBJECT", off, clipText(name))
		}
		if !more {
			rest = ""
			break
		}
		off += len(line) + 1
		rest = after
	}
	main, err := parseText(rest, d)
	if err != nil {
		return nil, err
	}
	b.Main = main
	b.HTML = strings.HasPrefix(strings.TrimSpace(rest), "<")
	return b, nil
}

// cutHeader splits "TO=value" or "SUBJECT: value" after the ***.
func cutHeader(s string) (name, value string, ok bool) {
	i := strings.IndexAny(s, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.ToUpper(strings.TrimSpace(s[:i])), s[i+1:], true
}

// splitSlots splits a ***TO value at commas and semicolons outside keywords.
func splitSlots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			if _, end, ok, err := scanKeyword(s, i, nil); ok && err == nil {
				i = end - 1
			}
		case ',', ';':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseText compiles literal text with {field} and {select ...} keywords.
// A '{' that starts neither stays literal (JSON, for example).
func parseText(s string, d sqltemplate.Dialect) (text, error) {
	var t text
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			lit.WriteByte(s[i])
			continue
		}
		p, end, ok, err := scanKeyword(s, i, d)
		if err != nil {
			return nil, err
		}
		if !ok {
			lit.WriteByte('{')
			continue
		}
		if lit.Len() > 0 {
			t = append(t, piece{lit: lit.String()})
			lit.Reset()
		}
		t = append(t, p)
		i = end - 1
	}
	if lit.Len() > 0 {
		t = append(t, piece{lit: lit.String()})
	}
	return t, nil
}

// scanKeyword reads the keyword whose '{' is at s[i] and returns it with
// the offset after its '}'. ok is false when s[i] starts no keyword. With a
// nil dialect a sub-query is only delimited, not compiled.
func scanKeyword(s string, i int, d sqltemplate.Dialect) (p piece, end int, ok bool, err error) {
	j := i + 1
	for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n') {
		j++
	}
	if isSelect(s[j:]) {
		brace, err := closingBrace(s, j)
		if err != nil {
			return piece{}, 0, false, fmt.Errorf("byte %d: {select ...}: %w", i, err)
		}
		if d == nil {
			return piece{}, brace + 1, true, nil
		}
		t, err := compileSubquery(s[j:brace], d)
		if err != nil {
			return piece{}, 0, false, fmt.Errorf("byte %d: {select ...}: %w", i, err)
		}
		return piece{sub: t}, brace + 1, true, nil
	}
	k := i + 1
	for k < len(s) && isIdent(s[k], k == i+1) {
		k++
	}
	start, param := i+1, false
	if k < len(s) && s[k] == ':' && strings.EqualFold(s[i+1:k], "param") { // {param:name}
		start, param = k+1, true
		for k = start; k < len(s) && isIdent(s[k], k == start); k++ {
		}
	}
	if k == start || k >= len(s) || s[k] != '}' || k-start > 64 {
		return piece{}, 0, false, nil
	}
	name := strings.ToLower(s[start:k])
	if forbidden[name] {
		return piece{}, 0, false, fmt.Errorf("byte %d: {%s}: credentials may not be used in an action body", i, strings.ToLower(s[i+1:k]))
	}
	return piece{field: name, param: param}, k + 1, true, nil
}

// isSelect reports whether s starts with the word SELECT.
func isSelect(s string) bool {
	if len(s) < 7 || !strings.EqualFold(s[:6], "select") {
		return false
	}
	c := s[6]
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '('
}

// closingBrace finds the '}' that ends a sub-query starting at s[j],
// skipping quoted strings and identifiers.
func closingBrace(s string, j int) (int, error) {
	for k := j; k < len(s); k++ {
		switch c := s[k]; c {
		case '}':
			return k, nil
		case '\'', '"':
			e := strings.IndexByte(s[k+1:], c)
			if e < 0 {
				return 0, fmt.Errorf("unterminated %c quote", c)
			}
			k += e + 1
		}
	}
	return 0, errors.New("no closing }")
}

// compileSubquery binds the reference's bare USERID (upper case, outside
// quotes) and compiles the statement like customsql.
func compileSubquery(q string, d sqltemplate.Dialect) (*sqltemplate.Template, error) {
	if tr, ok := d.(interface{ TranslateSQL(string) (string, error) }); ok { // engine.DialectFor: customsqldialect
		var err error
		if q, err = tr.TranslateSQL(q); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	for k := 0; k < len(q); k++ {
		c := q[k]
		if c == '\'' || c == '"' {
			e := strings.IndexByte(q[k+1:], c)
			if e < 0 {
				b.WriteString(q[k:])
				break
			}
			b.WriteString(q[k : k+e+2])
			k += e + 1
			continue
		}
		if strings.HasPrefix(q[k:], "USERID") && (k == 0 || !isIdent(q[k-1], false) && q[k-1] != '[') &&
			(k+6 == len(q) || !isIdent(q[k+6], false) && q[k+6] != ']') {
			b.WriteString("[USERID]")
			k += 5
			continue
		}
		b.WriteByte(c)
	}
	t, err := sqltemplate.Compile(b.String(), d)
	if err != nil {
		return nil, err
	}
	if !t.ReturnsRows() {
		return nil, errors.New("must be a SELECT")
	}
	return t, nil
}

func isIdent(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// clipText shortens source text quoted in an error.
func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
