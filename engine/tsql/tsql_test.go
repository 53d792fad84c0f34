package tsql

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

func TestTranslate(t *testing.T) {
	for _, c := range []struct {
		in, sqlite, pg string
		mode           Mode
	}{
		{in: "SELECT TOP 1 a FROM t", sqlite: "SELECT a FROM t LIMIT 1", pg: "SELECT a FROM t LIMIT 1"},
		{in: "SELECT TOP (5) a FROM t ORDER BY a", sqlite: "SELECT a FROM t ORDER BY a LIMIT (5)", pg: "SELECT a FROM t ORDER BY a LIMIT (5)"},
		{in: "select x from t where id in (select top 2 id from u order by id) order by x",
			sqlite: "select x from t where id in (select id from u order by id LIMIT 2) order by x",
			pg:     "select x from t where id in (select id from u order by id LIMIT 2) order by x"},
		{in: "SELECT TOP 1 a FROM t -- last\n", sqlite: "SELECT a FROM t LIMIT 1 -- last\n", pg: "SELECT a FROM t LIMIT 1 -- last\n"},
		{in: "SELECT TOP [SPARAM1] a FROM t", sqlite: "SELECT a FROM t LIMIT [SPARAM1]", pg: "SELECT a FROM t LIMIT [SPARAM1]"},
		{in: "SELECT a FROM t WITH (NOLOCK)", sqlite: "SELECT a FROM t ", pg: "SELECT a FROM t "},
		{in: "SELECT a FROM t (nolock) JOIN u WITH(READPAST, ROWLOCK) ON 1=1", sqlite: "SELECT a FROM t JOIN u  ON 1=1", pg: "SELECT a FROM t JOIN u  ON 1=1"},
		{in: "select getdate()", sqlite: "select strftime('%Y-%m-%d %H:%M:%f', 'now')", pg: "select (now() AT TIME ZONE 'UTC')"},
		{in: "select getdate() - 0.1", sqlite: "select strftime('%Y-%m-%d %H:%M:%f', julianday('now') - 0.1)", pg: "select ((now() AT TIME ZONE 'UTC') - 0.1 * INTERVAL '1 day')"},
		{in: "select getdate() – 1", sqlite: "select strftime('%Y-%m-%d %H:%M:%f', julianday('now') - 1)", pg: "select ((now() AT TIME ZONE 'UTC') - 1 * INTERVAL '1 day')"},
		{in: "select CURRENT_TIMESTAMP", sqlite: "select CURRENT_TIMESTAMP", pg: "select CURRENT_TIMESTAMP"},
		{in: "select dateadd(day, -1, getdate())", sqlite: "select strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 days')", pg: "select ((now() AT TIME ZONE 'UTC') + -1 * INTERVAL '1 day')"},
		{in: "select dateadd(month, 1, d)", sqlite: "select strftime('%Y-%m-%d %H:%M:%f', d, '1 months', 'floor')", pg: "select (CAST(d AS timestamp) + 1 * INTERVAL '1 month')"},
		{in: "select datediff(day, a, b)", sqlite: "select CAST(julianday(date(b)) - julianday(date(a)) AS INTEGER)", pg: "select (CAST(CAST(b AS timestamp) AS date) - CAST(CAST(a AS timestamp) AS date))"},
		{in: "select datepart(hour, d), year(d)", sqlite: "select CAST(strftime('%H', d) AS INTEGER), CAST(strftime('%Y', d) AS INTEGER)",
			pg: "select CAST(EXTRACT(HOUR FROM CAST(d AS timestamp)) AS integer), CAST(EXTRACT(YEAR FROM CAST(d AS timestamp)) AS integer)"},
		{in: "select isnull(a, 0)", sqlite: "select COALESCE(a, 0)", pg: "select COALESCE(a, 0)"},
		{in: "select len(a)", sqlite: "select length(rtrim(a, ' '))", pg: "select length(rtrim(CAST(a AS text), ' '))"},
		{in: "select left(a, 2), right(a, 2)", sqlite: "select substr(a, 1, 2), substr(a, -2, 2)", pg: "select left(CAST(a AS text), 2), right(CAST(a AS text), 2)"},
		{in: "select substring(a, 2, 3)", sqlite: "select substr(a, 2, 3)", pg: "select substring(CAST(a AS text), 2, 3)"},
		{in: "select charindex('@', a)", sqlite: "select (instr(a, '@') - ('@' = ''))", pg: "select (strpos(CAST(a AS text), '@') - CAST('@' = '' AS integer))"},
		{in: "select replace(upper(a), 'X', lower(b)), ltrim(rtrim(c))", sqlite: "select replace(upper(a), 'X', lower(b)), ltrim(rtrim(c))", pg: "select replace(upper(a), 'X', lower(b)), ltrim(rtrim(c))"},
		{in: "select convert(varchar(10), d, 23)", sqlite: "select strftime('%Y-%m-%d', d)", pg: "select to_char(CAST(d AS timestamp), 'YYYY-MM-DD')"},
		{in: "select convert(varchar(5), d, 120)", sqlite: "select substr(strftime('%Y-%m-%d %H:%M:%S', d), 1, 5)", pg: "select CAST(to_char(CAST(d AS timestamp), 'YYYY-MM-DD HH24:MI:SS') AS varchar(5))"},
		{in: "select cast(x as int)", mode: TSQL, sqlite: "select CAST(x AS INTEGER)", pg: "select CAST(trunc(CAST(x AS numeric)) AS integer)"},
		{in: "select cast(x as int)", sqlite: "select cast(x AS int)", pg: "select cast(x AS int)"},
		{in: "select cast(x as nvarchar(3))", sqlite: "select substr(CAST(x AS TEXT), 1, 3)", pg: "select CAST(CAST(x AS text) AS varchar(3))"},
		{in: "select cast(x as datetime)", sqlite: "select strftime('%Y-%m-%d %H:%M:%f', x)", pg: "select CAST(x AS timestamp)"},
		{in: "select cast(x as bit)", sqlite: "select (CASE WHEN x IS NULL THEN NULL WHEN x <> 0 THEN 1 ELSE 0 END)", pg: "select (CASE WHEN x IS NULL THEN NULL WHEN x <> 0 THEN 1 ELSE 0 END)"},
		{in: "select cast(x as money)", sqlite: "select round(CAST(x AS REAL), 4)", pg: "select CAST(x AS numeric(19, 4))"},
		{in: "select N'abc', n'x'", sqlite: "select 'abc', 'x'", pg: "select 'abc', 'x'"},
		{in: "select [Col] from [My Table]", sqlite: `select [Col] from [My Table]`, pg: `select "col" from "my table"`},
		{in: "select [a]]b]", sqlite: `select "a]b"`, pg: `select "a]b"`},
		{in: "select substring(a from 2 for 3), @ -5, cast(x as jsonb)", sqlite: "select substring(a from 2 for 3), @ -5, cast(x AS jsonb)", pg: "select substring(a from 2 for 3), @ -5, cast(x AS jsonb)"},
		{in: "select [USERID], [USERNAME], [SPARAM1], {email}", sqlite: "select [USERID], [USERNAME], [SPARAM1], {email}", pg: "select [USERID], [USERNAME], [SPARAM1], {email}"},
		{in: "select iif(a > 1, 'x', 'y')", sqlite: "select (CASE WHEN a > 1 THEN 'x' ELSE 'y' END)", pg: "select (CASE WHEN a > 1 THEN 'x' ELSE 'y' END)"},
		{in: "insert into t (a) values (1); select scope_identity()", sqlite: "insert into t (a) values (1); select last_insert_rowid()", pg: "insert into t (a) values (1); select lastval()"},
		{in: "select @@IDENTITY", sqlite: "select last_insert_rowid()", pg: "select lastval()"},
		{in: "select 'a' + [USERNAME] + '%'", sqlite: "select 'a' || [USERNAME] || '%'", pg: "select 'a' || [USERNAME] || '%'"},
		{in: "select 'a' + b", sqlite: "select 'a' + b", pg: "select 'a' + b"},
		{in: "select 'a' + username", mode: TSQL, sqlite: "select 'a' || username", pg: "select 'a' || username"},
		{in: "select 'a' + x * 2", sqlite: "select 'a' + x * 2", pg: "select 'a' + x * 2"},
		{in: "select a <> b, a != b, a !< b, a !> b", sqlite: "select a <> b, a != b, a >= b, a <= b", pg: "select a <> b, a != b, a >= b, a <= b"},
		{in: "select a from t where d > getdate() - [SPARAM1]", sqlite: "select a from t where d > strftime('%Y-%m-%d %H:%M:%f', julianday('now') - [SPARAM1])",
			pg: "select a from t where d > ((now() AT TIME ZONE 'UTC') - CAST([SPARAM1] AS double precision) * INTERVAL '1 day')"},
		{in: "-- dialect: native\nselect top 1 a", sqlite: "-- dialect: native\nselect top 1 a", pg: "-- dialect: native\nselect top 1 a"},
		{in: "* select top 1 a from t", sqlite: "* select a from t LIMIT 1", pg: "* select a from t LIMIT 1"},
		{in: "select 'it''s [x]' from t where a = 'TOP 1'", sqlite: "select 'it''s [x]' from t where a = 'TOP 1'", pg: "select 'it''s [x]' from t where a = 'TOP 1'"},
	} {
		for _, tg := range []Target{SQLite, Postgres} {
			want := c.sqlite
			if tg == Postgres {
				want = c.pg
			}
			got, err := Translate(c.in, tg, c.mode)
			if err != nil || got != want {
				t.Errorf("Translate(%q, %v, %v)\n got %q, %v\nwant %q", c.in, tg, c.mode, got, err, want)
			}
		}
		if got, _ := Translate(c.in, SQLServer, c.mode); got != c.in {
			t.Errorf("SQL Server must run %q untouched, got %q", c.in, got)
		}
	}
}

func TestRefused(t *testing.T) {
	for _, c := range []struct {
		in        string
		mode      Mode
		line, col int
		hint      string
	}{
		{in: "select * into t2 from t", line: 1, col: 10, hint: "CREATE TABLE t AS SELECT"},
		{in: "exec sp_x 1", line: 1, col: 1, hint: "procedure's statements"},
		{in: "select 1;\n  EXECUTE p", line: 2, col: 3, hint: "procedure's statements"},
		{in: "select top 10 percent a from t", line: 1, col: 15, hint: "TOP n"},
		{in: "select top 1 a from t union select b from u", line: 1, col: 8, hint: "parentheses"},
		{in: "delete top (1) from t", line: 1, col: 8, hint: "WHERE id IN"},
		{in: "select @x", line: 1, col: 8, hint: "[SPARAM1]"},
		{in: "declare @x int", line: 1, col: 1, hint: "keyword"},
		{in: "select * from #t", line: 1, col: 15, hint: "subquery"},
		{in: "select getdate() - d2", mode: TSQL, line: 1, col: 18, hint: ""},
		{in: "select getdate() - datum", mode: TSQL, line: 1, col: 18, hint: "DATEDIFF"},
		{in: "select getdate() - c.created", line: 1, col: 18, hint: "DATEDIFF"},
		{in: "select 'a' + b", mode: TSQL, line: 1, col: 12, hint: "||"},
		{in: "select convert(varchar(20), getdate())", line: 1, col: 8, hint: "style"},
		{in: "select convert(varchar(20), d, 130)", line: 1, col: 32, hint: "120"},
		{in: "select dateadd(fortnight, 1, d)", line: 1, col: 16, hint: "year"},
		{in: "select newid()", line: 1, col: 8, hint: "gen_random_uuid"},
		{in: "select cast(x as char(3))", mode: TSQL, line: 1, col: 8, hint: "varchar"},
		{in: "select cast(1 as datetime)", line: 1, col: 8, hint: "DATEADD"},
		{in: "select u.[username] from tb_users u", line: 1, col: 10, hint: "without brackets"},
		{in: "select (1", line: 1, col: 8, hint: ")"},
		{in: "select 'abc", line: 1, col: 8, hint: "'"},
	} {
		for _, tg := range []Target{SQLite, Postgres} {
			_, err := Translate(c.in, tg, c.mode)
			var te *Error
			if c.in == "select getdate() - d2" {
				// d2 is not a known datetime column: day arithmetic, no error.
				if err != nil {
					t.Errorf("%q: %v", c.in, err)
				}
				continue
			}
			if !errors.As(err, &te) {
				t.Errorf("Translate(%q, %v): want *Error, got %v", c.in, tg, err)
				continue
			}
			if te.Line != c.line || te.Col != c.col || !strings.Contains(te.Error(), c.hint) {
				t.Errorf("Translate(%q, %v) = %v (at %d:%d), want %d:%d with %q", c.in, tg, err, te.Line, te.Col, c.line, c.col, c.hint)
			}
		}
	}
}

func TestDirectiveAndMode(t *testing.T) {
	for in, want := range map[string]Mode{"-- dialect: tsql\nselect 1": TSQL, "*  -- dialect: native\nselect 1": Native, "--dialect:auto": Auto} {
		if m, ok := Directive(in); !ok || m != want {
			t.Errorf("Directive(%q) = %v, %v", in, m, ok)
		}
	}
	if _, ok := Directive("-- a comment\nselect 1"); ok {
		t.Error("a plain comment is no directive")
	}
	if _, err := ParseMode("sqlserver"); err == nil {
		t.Error("ParseMode accepts sqlserver")
	}
	got, err := Translate("-- dialect: tsql\nselect 'a' + username", SQLite, Auto)
	if err != nil || got != "-- dialect: tsql\nselect 'a' || username" {
		t.Errorf("directive tsql: %q %v", got, err)
	}
}

// keySet renders the distinct keys, sorted.
func keySet(keys []sqltemplate.Key) string {
	m := map[string]bool{}
	for _, k := range keys {
		m[fmt.Sprint(k.Kind, ":", k.Name)] = true
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// addCorpus seeds a fuzzer of (statement, mode) with the statements of
// testdata/corpus.sql, in modes 0 and 1.
func addCorpus(f *testing.F) {
	data, err := os.ReadFile("testdata/corpus.sql")
	if err != nil {
		return
	}
	for _, block := range strings.Split(string(data), "\n\n") {
		if block = strings.TrimSpace(block); block != "" {
			f.Add(block, uint8(0))
			f.Add(block, uint8(1))
		}
	}
}

func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"select top 1 callednumber from tb_cdrs with(nolock) where callerid = [USERID]",
		"SELECT TOP 1 * FROM tb_cdrs WITH(NOLOCK) WHERE datum > getdate() – 1 AND sipcallid = 'xyz'",
		"select 'Hello ' + [USERNAME] + '%[SPARAM1]%'",
		"select dateadd(day, -[SPARAM2], getdate()), datediff(hour, a, b), convert(varchar(10), d, 120)",
		"select cast(x as decimal(10,2)), isnull(len(a), 0), left(a, 2), right(a, [SPARAM3])",
		"insert into t values ({name}); select scope_identity()",
		"select [a b], N'x' from [t] where x in (select top (2) y from z (nolock) order by y)",
		"* -- dialect: tsql\nselect 'a' + username",
	} {
		f.Add(s, uint8(0))
	}
	addCorpus(f) // the corpus statements seed the fuzzer too
	f.Fuzz(func(t *testing.T, src string, m uint8) {
		mode := Mode(m % 3)
		for _, tg := range []Target{SQLite, Postgres} {
			out, err := Translate(src, tg, mode)
			if err != nil {
				var te *Error
				if errors.As(err, &te) && (te.Line < 1 || te.Col < 1 || te.Offset > len(src)) {
					t.Fatalf("bad position %+v", te)
				}
				continue
			}
			// Every keyword survives and none appears: compiled, the
			// translation binds the same keys as the source (a translation
			// may repeat an operand, so compare sets). It writes no
			// placeholder either: when the source compiles, so does the output.
			st, err := sqltemplate.Compile(src, schema.SQLite)
			if err != nil {
				return
			}
			ot, err := sqltemplate.Compile(out, schema.SQLite)
			if err != nil {
				t.Fatalf("translated %q does not compile: %v (from %q)", out, err, src)
			}
			in, got := keySet(st.Keys()), keySet(ot.Keys())
			if in != got {
				t.Fatalf("keys %s became %s: %q from %q", in, got, out, src)
			}
			// Auto translation is idempotent on its own output.
			if mode == Auto {
				again, err := Translate(out, tg, Auto)
				if err != nil || again != out {
					t.Fatalf("not idempotent on %v:\n src   %q\n out   %q\n again %q %v", tg, src, out, again, err)
				}
			}
		}
	})
}

func TestNestingBound(t *testing.T) {
	src := strings.Repeat("datediff(month, ", 30) + "a" + strings.Repeat(", b)", 30)
	if _, err := Translate("select "+src, SQLite, Auto); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("deep nesting: %v", err)
	}
}

// TestLargeInputs: 16 KiB statements of repetitive shapes translate
// without blowing up. The bound is generous on purpose (a loaded CI machine
// must not fail it): it catches exponential work, not a slow machine;
// BenchmarkLargeInputs gives the figures.
func TestLargeInputs(t *testing.T) {
	for _, src := range largeInputs() {
		start := time.Now()
		for _, tg := range []Target{SQLite, Postgres} {
			Translate(src, tg, Auto)
		}
		if d := time.Since(start); d > 60*time.Second {
			t.Errorf("%d bytes took %v: %.40q", len(src), d, src)
		}
	}
}

func largeInputs() []string {
	return []string{
		"select " + strings.Repeat("a * ", 4000) + "1",
		"select " + strings.Repeat("(", 1250) + "getdate() - 1" + strings.Repeat(")", 1250),
		"select " + strings.Repeat("'a' + ", 2500) + "'b'",
		strings.Repeat("select top 1 a from t with (nolock); ", 400),
		"select " + strings.Repeat("isnull(", 750) + "a" + strings.Repeat(", 0)", 750),
	}
}

func BenchmarkLargeInputs(b *testing.B) {
	for _, src := range largeInputs() {
		b.Run(strconv.Itoa(len(src)), func(b *testing.B) {
			for range b.N {
				Translate(src, SQLite, Auto)
			}
		})
	}
}
