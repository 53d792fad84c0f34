package format

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// special holds the characters every format must survive.
const special = `<&>"' žćč€😀 ` + "tab\tCR\rLF\nCRLF\r\nNUL\x00end"

// testCase is a named Result shared by the per-format tests.
type testCase struct {
	name string
	r    Result
}

// cases returns the answers every format is tested with.
func cases() []testCase {
	return []testCase{
		{"success", Result{OK: true, Text: "OK: apitest (1.2.3.4)"}},
		{"failure", Result{Text: "ERROR: auth failed: wrong key"}},
		{"credit", Result{OK: true, Text: "Your credit is $9.8"}},
		{"nonce", Result{OK: true, Text: "OK: new nonce is:abcEOF"}},
		{"empty text", Result{OK: true}},
		{"empty failure", Result{}},
		{"special text", Result{OK: true, Text: special}},
		{"table", Result{OK: true, Text: "OK: 2 rows",
			Columns: []string{"id", "name", "note"},
			Rows:    [][]string{{"1", "Ana", "plain"}, {"2", "", "x"}}}},
		{"table special", Result{OK: true, Text: "OK: special",
			Columns: []string{"id", "value"},
			Rows:    [][]string{{"1", special}, {"2", " leading space"}, {"3", `a,"b"`}}}},
		{"table no rows", Result{OK: true, Text: "OK: 0 rows", Columns: []string{"a", "b"}}},
		{"table one column nulls", Result{OK: true, Text: "OK: 3 rows",
			Columns: []string{"name"}, Rows: [][]string{{""}, {"x"}, {""}}}},
		{"table odd names", Result{Text: "ERROR: odd",
			Columns: []string{"1st", "a b", "a b", "", "x:y", "ok_name", "é"},
			Rows:    [][]string{{"1", "2", "3", "4", "5", "6", "7"}}}},
		{"table ragged rows", Result{OK: true, Text: "OK: ragged",
			Columns: []string{"a", "b"}, Rows: [][]string{{"1"}, {"1", "2", "3"}, nil}}},
	}
}

// named returns the Result of the case called name.
func named(name string) Result {
	for _, tc := range cases() {
		if tc.name == name {
			return tc.r
		}
	}
	panic("no test case " + name)
}

// fullRow returns row padded or cut to n values, as the encoders see it.
func fullRow(row []string, n int) []string {
	out := make([]string, n)
	copy(out, row)
	return out
}

// replaceInvalid returns s with every invalid UTF-8 byte and every rune for
// which bad reports true replaced by U+FFFD.
func replaceInvalid(s string, bad func(rune) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c, w := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && w == 1 || bad(c) {
			c = utf8.RuneError
		}
		b.WriteRune(c)
		i += w
	}
	return b.String()
}

func TestCode(t *testing.T) {
	if c := (Result{OK: true}).Code(); c != 200 {
		t.Errorf("OK code = %d, want 200", c)
	}
	if c := (Result{}).Code(); c != 499 {
		t.Errorf("failure code = %d, want 499", c)
	}
}

func TestValidAndContentType(t *testing.T) {
	want := map[string]string{
		Text:      "text/plain; charset=utf-8",
		ClearText: "text/plain; charset=utf-8",
		HTML:      "text/html; charset=utf-8",
		XML:       "application/xml; charset=utf-8",
		SOAP:      "text/xml; charset=utf-8",
		JSON:      "application/json; charset=utf-8",
		JSONP:     "application/javascript; charset=utf-8",
	}
	for name, ct := range want {
		if !Valid(name) {
			t.Errorf("Valid(%q) = false", name)
		}
		var buf bytes.Buffer
		got, err := Encode(&buf, name, Result{OK: true, Text: "OK"}, "cb")
		if err != nil || got != ct {
			t.Errorf("Encode(%q) = %q, %v; want %q", name, got, err, ct)
		}
	}
	for _, name := range []string{"", "TEXT", "Json", "csv", "xml ", "php"} {
		if Valid(name) {
			t.Errorf("Valid(%q) = true", name)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct{ name, format, callback string }{
		{"unknown format", "yaml", ""},
		{"empty format", "", ""},
		{"jsonp without callback", JSONP, ""},
		{"jsonp bad callback", JSONP, "alert(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := Encode(&buf, tt.format, Result{OK: true, Text: "OK"}, tt.callback); err == nil {
				t.Fatal("no error")
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q on error", buf.String())
			}
			dst := []byte("keep")
			got, _, err := AppendEncode(dst, tt.format, Result{}, tt.callback)
			if err == nil || string(got) != "keep" {
				t.Errorf("AppendEncode = %q, %v", got, err)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestEncodeWriteError(t *testing.T) {
	if _, err := Encode(failWriter{}, Text, Result{OK: true}, ""); err == nil || err.Error() != "broken pipe" {
		t.Errorf("err = %v, want broken pipe", err)
	}
}

// TestEncodeMatchesAppend checks that Encode writes what AppendEncode
// appends, and that AppendEncode keeps the existing content of dst.
func TestEncodeMatchesAppend(t *testing.T) {
	for _, format := range []string{Text, ClearText, HTML, XML, SOAP, JSON, JSONP} {
		for _, tc := range cases() {
			var buf bytes.Buffer
			if _, err := Encode(&buf, format, tc.r, "cb"); err != nil {
				t.Fatalf("%s/%s: %v", format, tc.name, err)
			}
			got, _, err := AppendEncode([]byte("prefix"), format, tc.r, "cb")
			if err != nil || string(got) != "prefix"+buf.String() {
				t.Errorf("%s/%s: AppendEncode = %q, %v; Encode wrote %q", format, tc.name, got, err, buf.String())
			}
		}
	}
}

func TestValidCallback(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"cb", true},
		{"jQuery123_456", true},
		{"a.b.c", true},
		{"$", true},
		{"_cb$1", true},
		{"window.new", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"1cb", false},
		{"a.1b", false},
		{".a", false},
		{"a.", false},
		{"a..b", false},
		{"a[0]", false},
		{"a['x']", false},
		{`a"b`, false},
		{"alert(1)", false},
		{"a b", false},
		{"a;b", false},
		{"a\n", false},
		{"a-b", false},
		{"a/*x*/", false},
		{"é", false},
		{"new", false},
		{"function", false},
		{"import", false},
	}
	for _, tt := range tests {
		if got := ValidCallback(tt.s); got != tt.want {
			t.Errorf("ValidCallback(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
