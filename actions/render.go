package actions

import (
	"context"
	"fmt"
	"html"
	"net/mail"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
)

// Caps of a {select ...} result inside a body.
const (
	maxSubRows  = 100
	maxSubBytes = 4096
)

// renderEnv is what a template is rendered against: the call, its answer
// and where sub-queries run (the action's transaction).
type renderEnv struct {
	ctx context.Context
	c   *engine.Call
	res format.Result
	q   sqlx.QueryerContext
	now time.Time
}

// field resolves {name}: the server's own values first (result, clientip,
// now), then a field of the authenticated user when a user field has that
// name (a request parameter never replaces it), then a request parameter;
// "" if none. A request value renders only when the request authenticated
// (a proved secret, a console session or a trusted admin IP): anyone can
// make an entry fail, so an unauthenticated caller's text never reaches an
// email, SMS or command through a bare {name}; {param:name} (paramField)
// is the row author's explicit choice.
func (e *renderEnv) field(name string) string {
	switch name {
	case "result":
		return e.res.Text
	case "clientip":
		if e.c.Req != nil && e.c.Req.RemoteIP.IsValid() {
			return e.c.Req.RemoteIP.String()
		}
		return ""
	case "now":
		return e.now.Format("2006-01-02 15:04:05")
	}
	if engine.IsUserField(name) {
		if e.c.User != nil {
			if v, ok := e.c.User.Field(name); ok {
				return fmt.Sprint(v)
			}
		}
		// A failure action after a wrong password still names the user
		// authid named (its stored name, not the request's text).
		if u := e.c.Identified(); name == "username" && u != nil {
			return u.Username
		}
		return ""
	}
	if !e.c.Verified && !e.c.Admin {
		return ""
	}
	return e.paramField(name)
}

// paramField resolves {param:name}: the request parameter, whoever sent it.
func (e *renderEnv) paramField(name string) string {
	if e.c.Req != nil {
		return e.c.Req.Params[name]
	}
	return ""
}

// render expands t; esc escapes each substituted value for where it lands.
func (t text) render(e *renderEnv, esc func(string) string) (string, error) {
	var b strings.Builder
	for _, p := range t {
		switch {
		case p.sub != nil:
			v, err := e.subquery(p)
			if err != nil {
				return "", err
			}
			b.WriteString(esc(v))
		case p.param:
			b.WriteString(esc(e.paramField(p.field)))
		case p.field != "":
			b.WriteString(esc(e.field(p.field)))
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String(), nil
}

// subquery runs a {select ...} with its keywords bound and renders at most
// maxSubRows rows (columns joined by ", ", rows by new lines) and
// maxSubBytes bytes.
func (e *renderEnv) subquery(p piece) (string, error) {
	if e.q == nil {
		return "", fmt.Errorf("{select ...}: no database")
	}
	rows, err := e.q.QueryContext(e.ctx, p.sub.SQL(), e.c.BindArgs(p.sub)...)
	if err != nil {
		return "", fmt.Errorf("{select ...}: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", fmt.Errorf("{select ...}: %w", err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var b strings.Builder
	for n := 0; n < maxSubRows && b.Len() < maxSubBytes && rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return "", fmt.Errorf("{select ...}: %w", err)
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(dbText(v))
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("{select ...}: %w", err)
	}
	out := b.String()
	if len(out) > maxSubBytes {
		out = strings.ToValidUTF8(out[:maxSubBytes], "")
	}
	return out, nil
}

// dbText renders a database value as text; NULL is "".
func dbText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	default:
		return fmt.Sprint(x)
	}
}

// Escapers for where a value lands.
func plain(s string) string { return s }

// oneLine makes a value safe for a mail header: no CR, LF or other control
// characters, so a value cannot add a header.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// htmlText escapes a value for an HTML body.
func htmlText(s string) string { return html.EscapeString(s) }

// renderEmails renders the ***TO slots: each slot must be exactly one
// address, so a value with a comma cannot add a recipient.
func renderEmails(slots []text, e *renderEnv) ([]string, error) {
	var out []string
	for _, slot := range slots {
		s, err := slot.render(e, oneLine)
		if err != nil {
			return nil, err
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := parseEmail(s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseEmail checks one address and returns it in canonical form.
func parseEmail(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || strings.ContainsAny(a.Address, "\r\n") {
		return "", fmt.Errorf("%w: %q is not one email address", engine.ErrInvalidMessage, clipText(s))
	}
	return a.String(), nil
}

// renderPhones renders the ***TO slots of an SMS as phone numbers.
func renderPhones(slots []text, e *renderEnv) ([]string, error) {
	var out []string
	for _, slot := range slots {
		s, err := slot.render(e, oneLine)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := parsePhone(s)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// parsePhone accepts digits with an optional leading +, ignoring spaces,
// dashes, dots and parentheses: 3 to 20 digits.
func parsePhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("%w: %q is not a phone number", engine.ErrInvalidMessage, clipText(s))
		}
	}
	n := b.String()
	if d := len(strings.TrimPrefix(n, "+")); d < 3 || d > 20 {
		return "", fmt.Errorf("%w: %q is not a phone number (3 to 20 digits)", engine.ErrInvalidMessage, clipText(s))
	}
	return n, nil
}
