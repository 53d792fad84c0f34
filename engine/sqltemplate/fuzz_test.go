package sqltemplate

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mvapi/schema"
)

// outsideText returns sql with everything inside string literals, quoted
// and bracket identifiers, comments and dollar-quoted strings blanked out.
// It is written independently of the compiler, to cross-check it.
func outsideText(sql string) string {
	b := []byte(sql)
	blank := func(from, to int) {
		for k := from; k < to && k < len(b); k++ {
			b[k] = ' '
		}
	}
	word := func(c byte) bool {
		return c == '_' || c >= 0x80 || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\'':
			backslash := i > 0 && (b[i-1]|0x20) == 'e' && (i == 1 || !word(b[i-2]) && b[i-2] != '$')
			j := i + 1
			for ; j < len(b); j++ {
				if backslash && b[j] == '\\' {
					j++
				} else if b[j] == '\'' {
					if j+1 < len(b) && b[j+1] == '\'' {
						j++
					} else {
						break
					}
				}
			}
			blank(i, j+1)
			i = j + 1
		case c == '"' || c == '[':
			closer := map[byte]byte{'"': '"', '[': ']'}[c]
			j := i + 1
			for ; j < len(b); j++ {
				if b[j] == closer {
					if j+1 < len(b) && b[j+1] == closer {
						j++
					} else {
						break
					}
				}
			}
			blank(i, j+1)
			i = j + 1
		case strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			blank(i, i+j)
			i += j
		case strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/") + i + 4
			blank(i, j)
			i = j
		case c == '$':
			if n := dollarTagLen(sql[i:]); n > 0 {
				j := strings.Index(sql[i+n:], sql[i:i+n]) + i + 2*n
				blank(i, j)
				i = j
			} else {
				i++
			}
		case word(c) && c != '$':
			j := i + 1
			for j < len(b) && (word(b[j]) || b[j] == '$' && !(c >= '0' && c <= '9')) {
				j++
			}
			i = j
		default:
			i++
		}
	}
	return string(b)
}

// dollarTagLen returns the length of the dollar-quote tag ($$ or $tag$)
// at the start of s, or 0.
func dollarTagLen(s string) int {
	j := 1
	for j < len(s) && (s[j] == '_' || s[j] >= 0x80 || s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z' || j > 1 && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j < len(s) && s[j] == '$' {
		return j + 1
	}
	return 0
}

// numberedPlaceholders returns the numbers of the placeholders prefix+digits
// in out that do not continue a word (PostgreSQL allows '$' in identifiers).
func numberedPlaceholders(out, prefix string) []string {
	var nums []string
	for i := 0; i+len(prefix) < len(out); i++ {
		if !strings.EqualFold(out[i:i+len(prefix)], prefix) {
			continue
		}
		if prefix == "$" && i > 0 {
			if c := out[i-1]; c == '_' || c == '$' || c >= 0x80 || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' {
				continue
			}
		}
		j := i + len(prefix)
		for j < len(out) && out[j] >= '0' && out[j] <= '9' {
			j++
		}
		if j > i+len(prefix) {
			nums = append(nums, out[i+len(prefix):j])
		}
	}
	return nums
}

// checkPlaceholders asserts that the placeholders found in SQL outside
// literals, identifiers and comments match Keys one to one and in order.
func checkPlaceholders(t *testing.T, d Dialect, tmpl *Template) {
	t.Helper()
	out := outsideText(tmpl.SQL())
	var nums []string
	switch d {
	case schema.SQLite:
		nums = make([]string, strings.Count(out, "?"))
	case schema.Postgres:
		nums = numberedPlaceholders(out, "$")
	case schema.SQLServer:
		nums = numberedPlaceholders(out, "@p")
	}
	if len(nums) != len(tmpl.Keys()) {
		t.Fatalf("SQL %q has %d placeholders, Keys() has %d", tmpl.SQL(), len(nums), len(tmpl.Keys()))
	}
	for i, n := range nums {
		if n != "" && n != strconv.Itoa(i+1) {
			t.Fatalf("SQL %q: placeholder %d is numbered %s", tmpl.SQL(), i+1, n)
		}
	}
}

var fieldName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// checkKey asserts that k is one of the documented keys.
func checkKey(t *testing.T, k Key) {
	t.Helper()
	switch k.Kind {
	case UserID, UserName:
		if k.Name != "" {
			t.Fatalf("key %v has a name", k)
		}
	case SParam:
		n, err := strconv.Atoi(strings.TrimPrefix(k.Name, "sparam"))
		if err != nil || n < 1 || n > 99 || k.Name != "sparam"+strconv.Itoa(n) {
			t.Fatalf("bad sparam key %v", k)
		}
	case Field:
		if !fieldName.MatchString(k.Name) {
			t.Fatalf("bad field key %v", k)
		}
	default:
		t.Fatalf("bad key kind %v", k)
	}
}

// fuzzSeeds are the compile cases plus awkward fragments.
func fuzzSeeds(f *testing.F) {
	for _, tc := range compileCases {
		f.Add(tc.src)
	}
	for _, s := range []string{
		"", "*", "'", "[", "{", "$", "--", "/*", "'[USERID]", "[USERID", "{a", "'{a}''",
		"$$[USERID]$$", "$a$ $a", "E'\\'[SPARAM1]'", "N'[SPARAM1]", "U&'{x}'", "[a]]]",
		"select ? from t", "select $1", "select @p1", "x$[USERID]", "'{a}'$$b$$",
		"select ''''||'[SPARAM1]'", "(((select [USERID])))", "a.output returning",
		"select /* /* */ [USERID] */", "select 1 -- [USERID]\r\n, [USERID]", "\xff[USERID]\x00",
	} {
		f.Add(s)
	}
}

func FuzzCompile(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		var first *Template
		for _, d := range []Dialect{schema.SQLite, schema.Postgres, schema.SQLServer} {
			tmpl, err := Compile(src, d)
			again, err2 := Compile(src, d)
			if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
				t.Fatalf("non-deterministic error: %v / %v", err, err2)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "customsql: ") {
					t.Fatalf("error without prefix: %v", err)
				}
				first = nil
				continue
			}
			if !reflect.DeepEqual(tmpl, again) {
				t.Fatalf("non-deterministic result: %#v / %#v", tmpl, again)
			}
			checkPlaceholders(t, d, tmpl)
			for _, k := range tmpl.Keys() {
				checkKey(t, k)
			}
			if len(tmpl.Args(nil)) != len(tmpl.Keys()) {
				t.Fatalf("Args has %d values for %d keys", len(tmpl.Args(nil)), len(tmpl.Keys()))
			}
			if s := tmpl.SQL(); s == "" || trimSpace(s) != s {
				t.Fatalf("SQL %q is empty or not trimmed", s)
			}
			if wantSync := strings.HasPrefix(trimSpace(src), "*"); tmpl.Sync() != wantSync {
				t.Fatalf("Sync() = %v for %q", tmpl.Sync(), src)
			}
			if first != nil && (!reflect.DeepEqual(first.Keys(), tmpl.Keys()) || first.ReturnsRows() != tmpl.ReturnsRows()) {
				t.Fatalf("dialects disagree on keys or rows: %v %v / %v %v", first.Keys(), first.ReturnsRows(), tmpl.Keys(), tmpl.ReturnsRows())
			}
			first = tmpl
		}
	})
}

// FuzzArgsNotInSQL checks that the compiler adds nothing to the SQL but
// placeholder and concatenation syntax, so a bound value (which Compile
// never sees) cannot end up in the SQL text, and that Args binds it.
func FuzzArgsNotInSQL(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		const generated = " ()|,'?$@pCONCAT0123456789"
		for _, d := range []Dialect{schema.SQLite, schema.Postgres, schema.SQLServer} {
			tmpl, err := Compile(src, d)
			if err != nil {
				continue
			}
			for _, c := range []byte(tmpl.SQL()) {
				if strings.IndexByte(src, c) < 0 && strings.IndexByte(generated, c) < 0 {
					t.Fatalf("SQL %q has byte %q found neither in the source nor in placeholders", tmpl.SQL(), c)
				}
			}
			value := "\x00'; drop table tb_users; --"
			for i, a := range tmpl.Args(func(Key) (any, bool) { return value, true }) {
				if a != value {
					t.Fatalf("arg %d = %v", i, a)
				}
			}
			if !strings.Contains(src, value) && strings.Contains(tmpl.SQL(), value) {
				t.Fatalf("SQL %q contains the bound value", tmpl.SQL())
			}
		}
	})
}
