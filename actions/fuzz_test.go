package actions

import (
	"net/mail"
	"net/url"
	"strings"
	"testing"
)

// FuzzParsePhone: an accepted number is 3 to 20 digits with an optional
// leading +, whatever the input.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"+36 (1) 234-5678", "12", "1;rm", "++1", "٣٤٥٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parsePhone(s)
		if err != nil {
			return
		}
		d := strings.TrimPrefix(n, "+")
		if len(d) < 3 || len(d) > 20 || strings.Trim(d, "0123456789") != "" {
			t.Fatalf("%q accepted as %q", s, n)
		}
	})
}

// FuzzExpandURL: values put into smsgatewayurl placeholders come back
// unchanged from the query and never add a parameter.
func FuzzExpandURL(f *testing.F) {
	f.Add("+3612345", "hello & bye=1#x", "1")
	f.Add("{text}", "{to}", "%zz")
	f.Fuzz(func(t *testing.T, to, text, unicode string) {
		raw := expandURL("https://gw.example.com/send?to={to}&text={text}&u={unicode}",
			map[string]string{"to": to, "text": text, "unicode": unicode})
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		q := u.Query()
		if len(q) != 3 || q.Get("to") != to || q.Get("text") != text || q.Get("u") != unicode || u.Host != "gw.example.com" {
			t.Fatalf("%q -> %v", raw, q)
		}
	})
}

// FuzzRenderEmailSlots: a ***TO slot renders to exactly one address or an
// error, whatever the value substituted into it.
func FuzzRenderEmailSlots(f *testing.F) {
	f.Add("a@x.com, b@y.com")
	f.Add("\"x\r\nBcc: e@v.il\" <a@x.com>")
	f.Fuzz(func(t *testing.T, v string) {
		a, err := parseEmail(v)
		if err != nil {
			return
		}
		list, err := mail.ParseAddressList(a)
		if strings.ContainsAny(a, "\r\n") || err != nil || len(list) != 1 {
			t.Fatalf("%q accepted as %q (%d addresses, %v)", v, a, len(list), err)
		}
	})
}
