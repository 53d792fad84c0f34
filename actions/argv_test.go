package actions

import (
	"reflect"
	"strings"
	"testing"

	"mvapi/schema"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{" \ta\n b\r\n", []string{"a", "b"}},
		{`'a b' "c d"`, []string{"a b", "c d"}},
		{`a'b c'd`, []string{"ab cd"}},
		{`"x\"y" "a\\b" "a\nb"`, []string{`x"y`, `a\b`, `a\nb`}},
		{`'it'"'"'s'`, []string{"it's"}},
		{`C:\tools\x.exe \\server\share`, []string{`C:\tools\x.exe`, `\\server\share`}},
		{`a\ b \'q\"`, []string{"a b", `'q"`}},
		{`'' a ""`, []string{"", "a", ""}},
		{`echo ; rm -rf /tmp/x && id | cat > f`, []string{"echo", ";", "rm", "-rf", "/tmp/x", "&&", "id", "|", "cat", ">", "f"}},
		{`$(id) ${HOME} * ~ "$PATH"`, []string{"$(id)", "${HOME}", "*", "~", "$PATH"}},
		{`{txt}`, []string{"{txt}"}}, // no keywords without a dialect
	}
	for _, c := range cases {
		got, err := SplitArgs(c.line)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", c.line, got, err, c.want)
		}
	}
}

func TestSplitArgsErrors(t *testing.T) {
	for line, want := range map[string]string{
		"":                        "empty command line",
		"  \n ":                   "empty command line",
		"echo 'abc":               "byte 5: unterminated ' quote",
		`echo "ab\"`:              `byte 5: unterminated " quote`,
		strings.Repeat("a ", 300): "more than 256 arguments",
	} {
		if _, err := SplitArgs(line); err == nil || err.Error() != want {
			t.Errorf("SplitArgs(%.20q) error %v, want %q", line, err, want)
		}
	}
}

func TestQuoteArgsRoundTrips(t *testing.T) {
	args := []string{"", "a b", `it's`, `"q"`, `\`, "tab\there", "new\nline", "; rm -rf /", "{txt}"}
	got, err := SplitArgs(QuoteArgs(args))
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
}

// TestSplitTemplateKeepsValuesWhole: keywords are compiled wherever they
// stand, a {select ...} with spaces stays one piece, and the program must be
// literal.
func TestSplitTemplateKeywords(t *testing.T) {
	args, err := splitTemplate(`notify --to={email} '{txt} x' {select name from t where id = USERID}`, schema.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 4 {
		t.Fatalf("%d args: %+v", len(args), args)
	}
	if args[1][0].lit != "--to=" || args[1][1].field != "email" {
		t.Errorf("arg 1: %+v", args[1])
	}
	if args[2][0].field != "txt" || args[2][1].lit != " x" {
		t.Errorf("arg 2: %+v", args[2])
	}
	if args[3][0].sub == nil || args[3][0].sub.SQL() != "select name from t where id = ?" {
		t.Errorf("arg 3: %+v", args[3])
	}
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"a b", `'a b' "c\"d"`, `a\ b`, `'' ""`, `C:\x y`, "echo ; rm -rf /", `"unterminated`, "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args, err := SplitArgs(line)
		if err != nil {
			return
		}
		if len(args) == 0 || len(args) > maxArgs {
			t.Fatalf("%q: %d args", line, len(args))
		}
		again, err := SplitArgs(QuoteArgs(args))
		if err != nil || !reflect.DeepEqual(again, args) {
			t.Fatalf("%q: quote round trip %q -> %q, %v", line, args, again, err)
		}
		// Keyword-aware splitting of the same line never panics either.
		splitTemplate(line, schema.SQLite)
	})
}

// FuzzQuoteArgs: any argv survives QuoteArgs and SplitArgs unchanged.
func FuzzQuoteArgs(f *testing.F) {
	f.Add("a\x00b c\x00")
	f.Add("'\x00\"\\\x00")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		if len(args) > maxArgs {
			return
		}
		got, err := SplitArgs(QuoteArgs(args))
		if err != nil || !reflect.DeepEqual(got, args) {
			t.Fatalf("%q -> %q, %v", args, got, err)
		}
	})
}
