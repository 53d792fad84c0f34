package tsql

import (
	"testing"
)

// TestUnchanged: the fast path takes the statements without T-SQL in them
// and leaves every other to the full translator; what it takes, the full
// translator returns as written.
func TestUnchanged(t *testing.T) {
	for _, c := range []struct {
		src    string
		target Target
		mode   Mode
		want   bool
	}{
		{"SELECT credit, currency FROM tb_users WHERE id = [USERID] AND 7 > 0 AND '%[SPARAM1]%' <> ''", SQLite, Auto, true},
		{"select a from t left join u on t.id = u.id where x in (1, 2) order by a desc limit 3", Postgres, Auto, true},
		{"insert into t (a, b) values ({name}, [SPARAM1]); select last_insert_rowid()", SQLite, Auto, true},
		{"INSERT /* c */ INTO t SELECT a FROM u", SQLite, Auto, true},
		{"select a - 1, -b, x * -2 from t where d > now() - interval '1 day'", Postgres, Auto, true},
		{"select -[SPARAM1]", SQLite, Auto, true},
		{"select [a b] from [t]", SQLite, Auto, true},
		{"select 'a''b', E'x\\'y', \"Q\", $t$ a $t$", Postgres, Auto, true},
		{"", SQLite, Auto, true},
		{"select lower (x)", SQLite, Auto, false},        // a translated call, even with a blank
		{"select lower\n-- c\n(x)", SQLite, Auto, false}, // and a comment
		{"select x.lower from t", SQLite, Auto, true},    // not a call
		{"select -[SPARAM1]", Postgres, Auto, false},     // CAST on PostgreSQL
		{"select a - b from t", SQLite, TSQL, false},     // datetime columns in tsql mode
		{"select a + b from t", SQLite, Auto, false},     // + may concatenate
		{"select top 1 a from t", SQLite, Auto, false},   // LIMIT
		{"select a from t with (nolock)", SQLite, Auto, false},
		{"select a from t (nolock)", SQLite, Auto, false},
		{"select a into b from t", SQLite, Auto, false}, // refused
		{"select N'x'", SQLite, Auto, false},            // N dropped
		{"select [a b] from t", Postgres, Auto, false},  // "a b"
		{"select [a]]b] from t", SQLite, Auto, false},   // "a]b"
		{"select @@identity", SQLite, Auto, false},      // last_insert_rowid()
		{"select a from t where d > getdate() – 1", SQLite, Auto, false},
		{"select a from t where x !< 1", SQLite, Auto, false},
		{"select current_timestamp", SQLite, Auto, false},
		{"select * from #tmp", SQLite, Auto, false},
		{"select t.[USERID]", SQLite, Auto, false}, // refused
		{"exec p", SQLite, Auto, false},
		{"declare @a int", SQLite, Auto, false},
		{"select (a", SQLite, Auto, false}, // unbalanced
		{"select a)", SQLite, Auto, false},
		{"select 'a", SQLite, Auto, false},           // unterminated
		{"select iſnull(a, 0)", SQLite, Auto, false}, // ſ upper-cases to S: ISNULL
		{"select newid()", SQLite, Auto, false},      // refused call
	} {
		if got := unchanged(c.src, c.target, c.mode); got != c.want {
			t.Errorf("unchanged(%q, %v, %v) = %v, want %v", c.src, c.target, c.mode, got, c.want)
		}
		if c.want {
			if out, err := translate(c.src, c.target, c.mode); err != nil || out != c.src {
				t.Errorf("full translation of %q: %q, %v", c.src, out, err)
			}
		}
	}
}

// Every word unchanged looks for fits its buffer (a longer word would be
// missed).
func TestUnchangedWordsFit(t *testing.T) {
	for _, set := range []map[string]bool{stopWords, hintWords} {
		for w := range set {
			if len(w) > 24 {
				t.Errorf("%s is longer than unchanged's buffer", w)
			}
		}
	}
	for w := range funcs {
		if len(w) > 24 {
			t.Errorf("%s is longer than unchanged's buffer", w)
		}
	}
	for w := range refused {
		if len(w) > 24 {
			t.Errorf("%s is longer than unchanged's buffer", w)
		}
	}
}

// FuzzUnchanged: whatever the fast path takes, the full translator
// returns unchanged and without an error, on both targets and in every
// mode.
func FuzzUnchanged(f *testing.F) {
	for _, s := range []string{
		"SELECT credit, currency FROM tb_users WHERE id = [USERID] AND 7 > 0 AND '%[SPARAM1]%' <> ''",
		"select a - 1, -b from t where x in (select y from z) and t.c = {name}",
		"INSERT INTO t (a) VALUES ([SPARAM1]); UPDATE t SET a = a * -2 WHERE id = [USERID]",
		"select [a b], \"c\", $x$ y $x$, E'\\'' from t -- c\n/* d */",
		"select x from t where a = -[SPARAM1] or b = - {credit}",
	} {
		f.Add(s, uint8(0))
	}
	addCorpus(f)
	f.Fuzz(func(t *testing.T, src string, m uint8) {
		mode := Mode(m % 2) // Auto or TSQL (Native never translates)
		for _, tg := range []Target{SQLite, Postgres} {
			if !unchanged(src, tg, mode) {
				continue
			}
			if out, err := translate(src, tg, mode); err != nil || out != src {
				t.Fatalf("fast path took %q on %v in %v mode; the full translation is %q, %v", src, tg, mode, out, err)
			}
		}
	})
}
