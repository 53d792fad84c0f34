package tsql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/engine/sqltemplate"
	"mvapi/engine/tsql"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// EnvSQLGlotPython names the Python that has sqlglot (default
// /usr/bin/python3, where Debian's python3-sqlglot installs it).
const EnvSQLGlotPython = "MVAPI_SQLGLOT_PYTHON"

// corpusCase is one statement of testdata/corpus.sql.
type corpusCase struct {
	line    int
	sql     string
	expect  string // "", "mvapi", "sqlglot", "refused"
	hint    string // for refused: a substring of the error
	want    string // "-- want: a|b" lines: mvapi's rows (normalised), when given
	hasWant bool
	wantPG  string // "-- want.postgres:" overrides want on PostgreSQL
}

// readCorpus reads blocks separated by blank lines; "-- expect: ..." and
// "-- note: ..." lines are annotations, the rest is the statement.
func readCorpus(t *testing.T) []corpusCase {
	data, err := os.ReadFile("testdata/corpus.sql")
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	var cur *corpusCase
	var body []string
	flush := func() {
		if cur != nil && len(body) > 0 {
			cur.sql = strings.Join(body, "\n")
			cases = append(cases, *cur)
		}
		cur, body = nil, nil
	}
	for i, line := range strings.Split(string(data), "\n") {
		trim := strings.TrimSpace(line)
		if trim == "" {
			flush()
			continue
		}
		if cur == nil {
			cur = &corpusCase{line: i + 1}
		}
		switch {
		case strings.HasPrefix(trim, "-- expect:"):
			f := strings.Fields(strings.TrimPrefix(trim, "-- expect:"))
			if len(f) == 0 {
				t.Fatalf("corpus.sql:%d: empty expect", i+1)
			}
			cur.expect = f[0]
			cur.hint = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(trim, "-- expect:")), f[0]))
		case strings.HasPrefix(trim, "-- want.postgres:"):
			cur.wantPG = strings.TrimSpace(strings.TrimPrefix(trim, "-- want.postgres:"))
		case strings.HasPrefix(trim, "-- want:"):
			w := strings.TrimSpace(strings.TrimPrefix(trim, "-- want:"))
			if cur.hasWant {
				cur.want += "\n"
			}
			cur.want += w
			cur.hasWant = true
		case strings.HasPrefix(trim, "-- note:"), strings.HasPrefix(trim, "-- ==="):
		default:
			body = append(body, line)
		}
	}
	flush()
	return cases
}

// keyword values every case binds.
var (
	userID  = int64(1)
	userNm  = "alice"
	sparams = map[string]string{"sparam1": "alice", "sparam2": "2", "sparam3": "4930", "sparam4": "bob"}
	fields  = map[string]string{"email": "alice@example.com", "callednumber": "493012345", "days": "2", "name": "Alice"}
)

func lookup(k sqltemplate.Key) (any, bool) {
	switch k.Kind {
	case sqltemplate.UserID:
		return userID, true
	case sqltemplate.UserName:
		return userNm, true
	case sqltemplate.SParam:
		v, ok := sparams[k.Name]
		return v, ok
	}
	v, ok := fields[k.Name]
	return v, ok
}

// literalKeywords writes the keywords' values into the text for sqlglot,
// which has no idea of mvapi keywords (test only: mvapi itself binds them).
func literalKeywords(sql string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(sql); {
		if sql[i] == '\'' {
			inStr = !inStr
			b.WriteByte('\'')
			i++
			continue
		}
		if k, n, ok := sqltemplate.KeywordAt(sql, i); ok {
			v, _ := lookup(k)
			s := fmt.Sprint(v)
			switch {
			case v == nil:
				s = "NULL"
			case inStr:
			case k.Kind == sqltemplate.UserID:
			default:
				s = "'" + s + "'"
			}
			b.WriteString(s)
			i += n
			continue
		}
		b.WriteByte(sql[i])
		i++
	}
	return b.String()
}

type glotResult struct {
	SQLite        []string `json:"sqlite"`
	SQLiteError   string   `json:"sqlite_error"`
	Postgres      []string `json:"postgres"`
	PostgresError string   `json:"postgres_error"`
}

func runSQLGlot(t *testing.T, stmts []string) []glotResult {
	py := os.Getenv(EnvSQLGlotPython)
	if py == "" {
		py = "/usr/bin/python3"
	}
	if err := exec.Command(py, "-c", "import sqlglot").Run(); err != nil {
		msg := fmt.Sprintf("sqlglot is not importable by %s (%v): apt-get install python3-sqlglot, or set %s to a Python that has it", py, err, EnvSQLGlotPython)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	in, _ := json.Marshal(stmts)
	cmd := exec.Command(py, "testdata/sqlglot_oracle.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sqlglot oracle: %v\n%s", err, stderr.String())
	}
	var res struct {
		Version string       `json:"version"`
		Results []glotResult `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	t.Logf("sqlglot %s", res.Version)
	return res.Results
}

// seed writes the same rows on every database, with times relative to now
// as mvapi itself writes them (time.Time parameters).
func seed(t *testing.T, db *schema.DB) {
	now := time.Now().UTC()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	ex := func(q string, args ...any) { mvtest.MustExec(t, db, db.Rebind(q), args...) }
	users := []struct {
		name, email, pin string
		credit           float64
		status, enabled  int
		statusdate       time.Time
	}{
		{"alice", "alice@example.com", "1111", 12.5, 1, 1, ago(time.Hour)},
		{"bob", "bob@example.com", "2222", 0, 1, 1, ago(5 * time.Hour)},
		{"carol", "carol@example.com  ", "", 3.25, 0, 1, ago(50 * time.Hour)},
		{"dave", "", "4444", -1.75, 2, 0, ago(20 * time.Minute)},
		{"Eve Smith", "eve@example.org", "5555", 100, 1, 1, ago(30 * 24 * time.Hour)},
	}
	for _, u := range users {
		ex(`INSERT INTO tb_users (username, password, name, email, pin, credit, status, enabled, statusdate, created, phone, country)
			VALUES (?, 'pw', ?, ?, ?, ?, ?, ?, ?, ?, '+4930123', 'DE')`,
			u.name, strings.ToUpper(u.name[:1])+u.name[1:], u.email, u.pin, u.credit, u.status, u.enabled, u.statusdate, u.statusdate.Add(-24*time.Hour))
	}
	for i, r := range []struct {
		prefix, dest string
		price        float64
	}{{"49", "Germany", 0.02}, {"4930", "Berlin", 0.015}, {"1", "USA", 0.01}, {"44", "UK", 0.03}, {"4917", "Germany mobile", 0.12}} {
		ex(`INSERT INTO tb_rates (prefix, destination, price) VALUES (?, ?, ?)`, r.prefix, r.dest, r.price+float64(i)*0)
	}
	for i := 0; i < 12; i++ {
		caller := int64(1 + i%3)
		ex(`INSERT INTO tb_cdrs (datum, callerid, calledid, caller, called, callednumber, duration, cost, price, sipcallid, reasoncode)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ago(time.Duration(i*7)*time.Hour), caller, 2, users[caller-1].name, "x", fmt.Sprintf("49301234%d", i),
			i*37, float64(i)*0.05, 0.02, fmt.Sprintf("call-%d", i), 200+i%2*286)
	}
	ex(`UPDATE tb_cdrs SET sipcallid = 'xyz' WHERE id = 1`)
	for i := 0; i < 8; i++ {
		ex(`INSERT INTO tb_creditlog (datum, userid, amount, kind, otheruserid, ref) VALUES (?, ?, ?, ?, ?, ?)`,
			ago(time.Duration(i*13)*time.Hour), int64(1+i%2), float64(i)-2.5, []string{"charge", "transfer", "addcredit"}[i%3], 0, fmt.Sprintf("r%d", i))
	}
}

var dateLike = regexp.MustCompile(`^\d{4}-\d\d-\d\d[ T]\d\d:\d\d`)

// norm makes the rows of both translations comparable: numbers by value,
// datetimes to the minute (the two runs ask for now at different instants),
// rows sorted.
func norm(rows [][]string) string {
	out := make([]string, len(rows))
	for i, r := range rows {
		cells := make([]string, len(r))
		for j, c := range r {
			switch {
			case dateLike.MatchString(c):
				c = strings.Replace(c, "T", " ", 1)[:16]
			default:
				if f, err := strconv.ParseFloat(c, 64); err == nil && !strings.HasPrefix(c, "+") && !(len(c) > 1 && c[0] == '0' && c[1] != '.') {
					c = strconv.FormatFloat(math.Round(f*1e6)/1e6, 'g', -1, 64)
				}
			}
			cells[j] = c
		}
		out[i] = strings.Join(cells, "|")
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// run executes the statements in one transaction that is rolled back, and
// returns the rows of the last one.
func run(ctx context.Context, db *schema.DB, stmts []string, args [][]any) (string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	var rows [][]string
	for i, q := range stmts {
		var a []any
		if args != nil {
			a = args[i]
		}
		rs, err := tx.QueryContext(ctx, q, a...)
		if err != nil {
			return "", err
		}
		cols, _ := rs.Columns()
		rows = nil
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for k := range vals {
				ptrs[k] = &vals[k]
			}
			if err := rs.Scan(ptrs...); err != nil {
				rs.Close()
				return "", err
			}
			row := make([]string, len(cols))
			for k, v := range vals {
				row[k] = engine.SQLText(v)
			}
			rows = append(rows, row)
		}
		if err := rs.Err(); err != nil {
			rs.Close()
			return "", err
		}
		rs.Close()
	}
	return norm(rows), nil
}

// mvapiRun translates, compiles (keywords become parameters) and runs.
func mvapiRun(ctx context.Context, db *schema.DB, target tsql.Target, sql string) (string, string, error) {
	out, err := tsql.Translate(sql, target, tsql.TSQL)
	if err != nil {
		return "", "", err
	}
	parts, err := tsql.Split(out)
	if err != nil {
		return out, "", err
	}
	d := schema.SQLite
	if target == tsql.Postgres {
		d = schema.Postgres
	}
	var stmts []string
	var args [][]any
	for _, s := range parts {
		tm, err := sqltemplate.Compile(s, d)
		if err != nil {
			return out, "", err
		}
		stmts = append(stmts, tm.SQL())
		args = append(args, tm.Args(lookup))
	}
	rows, err := run(ctx, db, stmts, args)
	return out, rows, err
}

func TestCorpusAgainstSQLGlot(t *testing.T) {
	cases := readCorpus(t)
	if len(cases) < 200 {
		t.Fatalf("corpus has %d statements, want at least 200", len(cases))
	}
	in := make([]string, len(cases))
	for i, c := range cases {
		in[i] = literalKeywords(c.sql)
	}
	glot := runSQLGlot(t, in)
	if len(glot) != len(cases) {
		t.Fatalf("sqlglot answered %d results for %d statements", len(glot), len(cases))
	}
	ctx := context.Background()
	for _, kind := range mvtest.Kinds() {
		if kind == "sqlserver" {
			continue
		}
		t.Run(kind, func(t *testing.T) {
			db := mvtest.MustOpen(t, mvtest.FreshDSN(t, kind))
			seed(t, db)
			target := tsql.SQLite
			if kind == "postgres" {
				target = tsql.Postgres
			}
			var agree, mvapiRight, glotRight, refused int
			for i, c := range cases {
				g := glot[i]
				gs, gerr := g.SQLite, g.SQLiteError
				if target == tsql.Postgres {
					gs, gerr = g.Postgres, g.PostgresError
				}
				where := fmt.Sprintf("corpus.sql:%d", c.line)
				translated, mrows, merr := mvapiRun(ctx, db, target, c.sql)
				// Auto mode: refuses no more than tsql mode does, and
				// re-translating its output changes nothing.
				if auto, aerr := tsql.Translate(c.sql, target, tsql.Auto); aerr != nil {
					if merr == nil {
						t.Errorf("%s: auto mode refuses what tsql mode translates: %v", where, aerr)
					}
				} else if again, err := tsql.Translate(auto, target, tsql.Auto); err != nil || again != auto {
					t.Errorf("%s: auto translation is not stable:\n  %s\n  %s %v", where, auto, again, err)
				}
				if c.expect == "refused" {
					if merr == nil {
						t.Errorf("%s: want refused (%s), got %s", where, c.hint, translated)
					} else if !strings.Contains(merr.Error(), c.hint) {
						t.Errorf("%s: refused with %q, want a hint containing %q", where, merr, c.hint)
					} else {
						refused++
					}
					continue
				}
				if merr != nil {
					t.Errorf("%s: mvapi: %v\n  T-SQL: %s\n  translated: %s", where, merr, c.sql, translated)
					continue
				}
				want := c.want
				if c.wantPG != "" && target == tsql.Postgres {
					want = c.wantPG
				}
				if c.hasWant && mrows != norm([][]string{strings.Split(want, "|")}) && mrows != want {
					t.Errorf("%s: mvapi answers %q, T-SQL answers %q\n  T-SQL: %s\n  translated: %s", where, mrows, want, c.sql, translated)
				}
				var grows string
				if gerr == "" {
					if r, err := run(ctx, db, gs, nil); err != nil {
						gerr = err.Error()
					} else {
						grows = r
					}
				}
				same := gerr == "" && grows == mrows
				switch {
				case same && c.expect == "":
					agree++
				case same:
					// An annotated difference that no longer differs on this database.
					agree++
				case c.expect == "mvapi":
					mvapiRight++
				case c.expect == "sqlglot":
					glotRight++
				default:
					t.Errorf("%s: mvapi and sqlglot differ (annotate with -- expect: mvapi|sqlglot)\n  T-SQL: %s\n  mvapi: %s\n    rows: %q\n  sqlglot: %q\n    rows: %q err: %s",
						where, c.sql, translated, mrows, gs, grows, gerr)
				}
			}
			t.Logf("%s: %d statements: %d agree, %d mvapi right, %d sqlglot right, %d refused with a hint",
				kind, len(cases), agree, mvapiRight, glotRight, refused)
		})
	}
}
