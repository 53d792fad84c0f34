package sqltemplate

import (
	"reflect"
	"strings"
	"testing"

	"mvapi/schema"
)

func TestReturnsRows(t *testing.T) {
	cases := []struct {
		src  string
		want bool
	}{
		{"select 1", true},
		{"SELECT 1", true},
		{"  with x as (select 1) select * from x", true},
		{"values (1), (2)", true},
		{"pragma table_info(t)", true},
		{"show search_path", true},
		{"explain select 1", true},
		{"exec sp_who", true},
		{"EXECUTE dbo.report [SPARAM1]", true},
		{"call proc({a})", true},
		{"describe t", true},
		{"((select 1) union (select 2))", true},
		{"/* lead */ -- line\n select 1", true},
		{";with x as (select 1) select * from x", true},
		{"*select 1", true},
		{"insert into t values (1) returning id", true},
		{"delete from t output deleted.id where id = 1", true},
		{"insert into t (a) OUTPUT inserted.id values ([SPARAM1])", true},
		{"update t set a = 1", false},
		{"insert into t values (1)", false},
		{"delete from t", false},
		{"*update t set a = 1", false},
		{"declare @x int; select @x", false},
		{"update t set a = 'returning'", false},
		{`update t set "output" = 1`, false},
		{"update t set [output] = 1", false},
		{"update t set a = 1 -- returning", false},
		{"update t set a = s.output from s", false},
		{"update t set a = (select returning from s)", false},
		{"update t set selected = 1", false},
		{"'select'", false},
		{"[USERID]", false},
		{"{select}", false},
		{"$$select$$", false},
	}
	for _, tc := range cases {
		tmpl, err := Compile(tc.src, schema.SQLite)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.src, err)
			continue
		}
		if got := tmpl.ReturnsRows(); got != tc.want {
			t.Errorf("ReturnsRows(%q) = %v, want %v", tc.src, got, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		src  string
		d    Dialect // nil: every reference dialect
		want string
	}{
		{"", nil, "customsql: empty template"},
		{" \n\t ", nil, "customsql: empty template"},
		{"*", nil, "customsql: empty template"},
		{"  *  \n", nil, "customsql: empty template"},
		{"select * from t where a = 'x", nil, "customsql: unterminated string literal starting at byte 26"},
		{"select 1 from t where b = N'", nil, "customsql: unterminated string literal starting at byte 26"},
		{`select E'abc\'`, nil, "customsql: unterminated string literal starting at byte 7"},
		{"select 'it''s", nil, "customsql: unterminated string literal starting at byte 7"},
		{"select [abc", nil, "customsql: unterminated bracket identifier starting at byte 7"},
		{"select [a]]", nil, "customsql: unterminated bracket identifier starting at byte 7"},
		{"select [USERID", nil, "customsql: unterminated bracket identifier starting at byte 7"},
		{`select "abc`, nil, "customsql: unterminated quoted identifier starting at byte 7"},
		{"select 1 /* [USERID]", nil, "customsql: unterminated block comment starting at byte 9"},
		{"select $$abc", nil, "customsql: unterminated dollar-quoted string $$ starting at byte 7"},
		{"select $f$abc$g$", nil, "customsql: unterminated dollar-quoted string $f$ starting at byte 7"},
		{"select * from t where a = ?", schema.SQLite, `customsql: raw placeholder "?" at byte 26`},
		{"select * from t where a = $1", schema.Postgres, `customsql: raw placeholder "$" at byte 26`},
		{"select * from t where a = @p1", schema.SQLServer, `customsql: raw placeholder "@p" at byte 26`},
		{"select * from t where a = @P2", schema.SQLServer, `customsql: raw placeholder "@P" at byte 26`},
	}
	for _, tc := range cases {
		dialects := []Dialect{schema.SQLite, schema.Postgres, schema.SQLServer}
		if tc.d != nil {
			dialects = []Dialect{tc.d}
		}
		for _, d := range dialects {
			tmpl, err := Compile(tc.src, d)
			if err == nil {
				t.Errorf("Compile(%q, %s) = %q, want error %q", tc.src, d.(schema.Dialect).Name, tmpl.SQL(), tc.want)
				continue
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Compile(%q, %s) error %q, want prefix %q", tc.src, d.(schema.Dialect).Name, err, tc.want)
			}
		}
	}
}

func TestCompileNilDialect(t *testing.T) {
	if _, err := Compile("select [USERID]", nil); err == nil || err.Error() != "customsql: nil dialect" {
		t.Errorf("Compile with a nil dialect: err = %v", err)
	}
}

// TestRawPlaceholderOtherDialects checks that a placeholder is only an
// error in the dialect that would bind it.
func TestRawPlaceholderOtherDialects(t *testing.T) {
	for _, tc := range []struct {
		src string
		d   Dialect
	}{
		{"select data ? 'key' from t", schema.Postgres},
		{"select data ? 'key' from t", schema.SQLServer},
		{"select $1 from t", schema.SQLite},
		{"select $1 from t", schema.SQLServer},
		{"select @p1 from t", schema.SQLite},
		{"select @p1 from t", schema.Postgres},
		{"select '?', '$1', '@p1', \"?\", [?], -- ?\n /* $1 */ $$@p1$$ from t", schema.SQLite},
		{"select '?', '$1', '@p1', \"?\", [?], -- ?\n /* $1 */ $$@p1$$ from t", schema.Postgres},
		{"select '?', '$1', '@p1', \"?\", [?], -- ?\n /* $1 */ $$@p1$$ from t", schema.SQLServer},
		{"select a$1 from t", schema.Postgres},
	} {
		if _, err := Compile(tc.src, tc.d); err != nil {
			t.Errorf("Compile(%q, %T): %v", tc.src, tc.d, err)
		}
	}
}

func TestArgs(t *testing.T) {
	tmpl, err := Compile("select * from t where u = [USERID] and n = [USERNAME] and a = [SPARAM2] and e like '%{email}%' and x = {missing} and u2 = [USERID]", schema.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	values := map[Key]any{kUserID: 7, kUserName: "bob", kSParam("2"): "two", kField("email"): "b@x"}
	var seen []Key
	got := tmpl.Args(func(k Key) (any, bool) {
		seen = append(seen, k)
		v, ok := values[k]
		return v, ok
	})
	want := []any{7, "bob", "two", "b@x", nil, 7}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Args = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(seen, tmpl.Keys()) {
		t.Errorf("lookup saw %v, want %v", seen, tmpl.Keys())
	}
	if got := tmpl.Args(nil); !reflect.DeepEqual(got, make([]any, 6)) {
		t.Errorf("Args(nil) = %v, want six nils", got)
	}
}

func TestKeysIsACopy(t *testing.T) {
	tmpl, err := Compile("select [USERID]", schema.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.Keys()[0] = kField("evil")
	if got := tmpl.Keys()[0]; got != kUserID {
		t.Errorf("Keys()[0] = %v after mutating a copy", got)
	}
}

// TestArgsNeverInSQL feeds hostile values through Args: they are bound,
// never spliced, so they cannot appear in the SQL text.
func TestArgsNeverInSQL(t *testing.T) {
	hostile := []string{
		"'; DROP TABLE tb_users; --",
		"1 OR 1=1",
		"' OR '1'='1",
		"' || (select password from tb_users) || '",
		"x'); delete from tb_api; --",
		"]; drop table t; --",
		"[USERID]",
		"{email}",
		"$$; drop table t; $$",
		"*/ drop table t /*",
	}
	srcs := []string{
		"select * from tb_users where name = [USERNAME] and id = [USERID]",
		"select * from t where name like '%[SPARAM1]%' or mail = '{email}' or x = {email}",
		"update t set note = 'it''s [SPARAM2]' where id = [SPARAM1] returning id",
	}
	for _, src := range srcs {
		for _, d := range []Dialect{schema.SQLite, schema.Postgres, schema.SQLServer} {
			tmpl, err := Compile(src, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range hostile {
				args := tmpl.Args(func(Key) (any, bool) { return v, true })
				for i, a := range args {
					if a != v {
						t.Errorf("%q: arg %d = %v, want %q", src, i, a, v)
					}
				}
				if strings.Contains(tmpl.SQL(), v) {
					t.Errorf("%q: SQL %q contains the value %q", src, tmpl.SQL(), v)
				}
			}
		}
	}
}

// TestReadOnly: one statement that only reads is told apart from one that
// writes, locks, calls code or makes a table, whatever hides the write.
func TestReadOnly(t *testing.T) {
	for _, c := range []struct {
		src  string
		want bool
	}{
		{"select 1", true},
		{"SELECT credit FROM tb_users WHERE id = [USERID]", true},
		{"with x as (select 1) select * from x", true},
		{"values (1), (2)", true},
		{"((select 1) union (select 2))", true},
		{"select 'insert into t' as x", true},                   // a literal
		{`select "update" from t`, true},                        // a quoted identifier
		{"select 1 -- then delete from t", true},                // a comment
		{"select t.set, t.lock from t", true},                   // columns after a dot
		{"select * from t where name like '%[SPARAM1]%'", true}, //
		{"*select 1", true},
		{"update t set a = 1", false},
		{"insert into t values (1) returning id", false},
		{"delete from t returning id", false},
		{"with d as (delete from t returning id) select * from d", false},
		{"with u as (update t set a = 1 returning a) select a from u", false},
		{"select * into t2 from t", false},
		{"select * from t for update", false},
		{"exec sp_who", false},
		{"call proc(1)", false},
		{"pragma table_info(t)", false},
		{"show search_path", false},
		{"explain analyze delete from t", false},
		{"select 1; select 2", false}, // one statement only
		{"declare @x int; select @x", false},
	} {
		tmpl, err := Compile(c.src, schema.Postgres)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if got := tmpl.ReadOnly(); got != c.want {
			t.Errorf("%q: ReadOnly() = %v, want %v", c.src, got, c.want)
		}
	}
}
