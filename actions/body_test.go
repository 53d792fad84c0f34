package actions

import (
	"errors"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// lits renders a text with {name} shown as <name> and sub-queries as their SQL.
func lits(t text) string {
	var b strings.Builder
	for _, p := range t {
		switch {
		case p.sub != nil:
			b.WriteString("<" + p.sub.SQL() + ">")
		case p.field != "":
			b.WriteString("<" + p.field + ">")
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

func TestParseBodyHeadersAndKeywords(t *testing.T) {
	src := "***TO=admin@example.com, {Email};{sparam1}\r\n***subject: Hi {username}\n" +
		"Dear {name}, your last call: {select top 1 callednumber from tb_cdrs with(nolock) where callerid = USERID}\n{\"json\": 1}"
	b, err := ParseBody(src, schema.SQLServer)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, s := range b.To {
		to = append(to, lits(s))
	}
	if strings.Join(to, "|") != "admin@example.com|<email>|<sparam1>" {
		t.Errorf("to %q", to)
	}
	if !b.HasSubject || lits(b.Subject) != "Hi <username>" {
		t.Errorf("subject %q", lits(b.Subject))
	}
	want := "Dear <name>, your last call: <select top 1 callednumber from tb_cdrs with(nolock) where callerid = @p1>\n{\"json\": 1}"
	if got := lits(b.Main); got != want || b.HTML {
		t.Errorf("main %q html=%v\nwant %q", got, b.HTML, want)
	}
}

func TestParseBodyPlainAndHTML(t *testing.T) {
	b, err := ParseBody("no headers {txt}", schema.SQLite)
	if err != nil || b.To != nil || b.HasSubject || lits(b.Main) != "no headers <txt>" {
		t.Fatalf("%+v %v", b, err)
	}
	b, err = ParseBody("***SUBJECT=x\n  <p>{txt}</p>", schema.SQLite)
	if err != nil || !b.HTML {
		t.Fatalf("html body not detected: %+v %v", b, err)
	}
}

// TestSubqueryUSERID: only the bare upper-case word USERID is bound; a
// column named userid, a string 'USERID' and [USERID] keep their meaning.
func TestSubqueryUSERID(t *testing.T) {
	b, err := ParseBody("{select a from t where x = USERID and 'USERID' <> userid and y = [USERID] and USERIDS = 1}", schema.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	sub := b.Main[0].sub
	if got := sub.SQL(); got != "select a from t where x = $1 and 'USERID' <> userid and y = $2 and USERIDS = 1" {
		t.Fatalf("sql %q", got)
	}
	for _, k := range sub.Keys() {
		if k.Kind != sqltemplate.UserID {
			t.Fatalf("key %+v", k)
		}
	}
}

func TestParseBodyErrors(t *testing.T) {
	for src, want := range map[string]string{
		"***FROM=x\nbody":              "unknown line ***FROM: use ***TO or ***SUBJECT",
		"***TO admin\nbody":            `write ***TO=address or ***SUBJECT=text`,
		"x {select 1 from t":           "byte 2: {select ...}: no closing }",
		"{select '}' from t":           "{select ...}: no closing }",
		"{select 'x from t}":           "unterminated ' quote",
		"pwd: {authpwd}":               "byte 5: {authpwd}: credentials may not be used",
		"***SUBJECT={AuthMD5}\nx":      "***SUBJECT: byte 0: {authmd5}: credentials",
		"***TO={password}@x.com\nbody": "***TO: byte 0: {password}: credentials",
	} {
		_, err := ParseBody(src, schema.SQLite)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBody(%q): %v, want %q", src, err, want)
		}
	}
}

func TestParseBodyLeavesNonKeywordsLiteral(t *testing.T) {
	for _, src := range []string{"{", "}", "{}", "{ a }", "{a b}", "{1x}", "{selected rows}", "{\"a\":{\"b\":2}}", "a\n***TO=x"} {
		b, err := ParseBody(src, schema.SQLite)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if lits(b.Main) != src {
			t.Errorf("%q became %q", src, lits(b.Main))
		}
	}
}

func TestEscapers(t *testing.T) {
	if got := oneLine("a\r\nBcc: x@y\tz"); got != "a  Bcc: x@y z" {
		t.Errorf("oneLine %q", got)
	}
	if got := htmlText(`<b>"x"&</b>`); got != "&lt;b&gt;&#34;x&#34;&amp;&lt;/b&gt;" {
		t.Errorf("htmlText %q", got)
	}
	if _, err := parseEmail("a@x.com, b@y.com"); !errors.Is(err, engine.ErrInvalidMessage) {
		t.Errorf("two addresses in one slot accepted: %v", err)
	}
	if got, err := parseEmail("Ann <ann@x.com>"); err != nil || got != `"Ann" <ann@x.com>` {
		t.Errorf("parseEmail %q %v", got, err)
	}
	for in, want := range map[string]string{"+36 (1) 234-5678": "+3612345678", "0036.1.2": "003612"} {
		if got, err := parsePhone(in); err != nil || got != want {
			t.Errorf("parsePhone(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"12", "+", "1+2345", "123;rm", strings.Repeat("1", 21), "abc"} {
		if _, err := parsePhone(bad); err == nil {
			t.Errorf("parsePhone(%q) accepted", bad)
		}
	}
}

func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		"***TO=a@x.com,{email}\n***SUBJECT=Hi {name}\nbody {txt}",
		"{select a from t where id = USERID and b = '}'}",
		"{ select 1 }", "{\"a\": 1}", "***TO\n", "{authpwd}", "<p>{x}</p>", "{select \"a}\" from t}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		b, err := ParseBody(src, schema.SQLite)
		if err != nil {
			return
		}
		all := append([]text{b.Main, b.Subject}, b.To...)
		for _, tx := range all {
			for _, p := range tx {
				if p.field != "" && forbidden[p.field] {
					t.Fatalf("%q: credential keyword {%s} compiled", src, p.field)
				}
				if p.sub != nil && !p.sub.ReturnsRows() {
					t.Fatalf("%q: sub-query that returns no rows", src)
				}
			}
		}
		// Text without braces or header lines is kept byte for byte.
		if !strings.ContainsAny(src, "{") && !strings.Contains(src, "***") && lits(b.Main) != src {
			t.Fatalf("%q became %q", src, lits(b.Main))
		}
	})
}

// TestLiteralRecipientsCheckedAtCompile: a ***TO address or number written
// out in the row (or adminemail/adminphone) that is not one fails apireload.
func TestLiteralRecipientsCheckedAtCompile(t *testing.T) {
	a := New(Deps{})
	cfg, err := engine.LoadConfig(t.Context(), nil, map[string]string{
		"smtphost": "h", "smtpfrom": "f@example.com", "smsgatewayurl": "http://gw/x", "adminemail": "bad", "adminphone": "+3612345"})
	if err != nil {
		t.Fatal(err)
	}
	for code, cases := range map[int]map[string]string{
		1: {"***TO=ops@example\nx": "", "***TO=ops at example.com\nx": `***TO: invalid message: "ops at example.com" is not one email address`,
			"no to": `adminemail: invalid message: "bad" is not one email address`},
		2: {"***TO=12345\nx": "", "***TO=call me\nx": `***TO: invalid message: "call me" is not a phone number`, "no to": ""},
	} {
		for body, want := range cases {
			_, err := a.Kinds()[code].Compile(body, schema.SQLite, cfg)
			if want == "" && err != nil || want != "" && (err == nil || err.Error() != want) {
				t.Errorf("code %d %q: %v, want %q", code, body, err, want)
			}
		}
	}
}

// {param:name} parses as an explicit request parameter; credentials stay refused.
func TestParseBodyParamSpelling(t *testing.T) {
	b, err := ParseBody("x {param:UserName} {username}", schema.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Main) != 4 || !b.Main[1].param || b.Main[1].field != "username" || b.Main[3].param {
		t.Fatalf("pieces %+v", b.Main)
	}
	if _, err := ParseBody("{param:authpwd}", schema.SQLite); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("{param:authpwd}: %v", err)
	}
}
