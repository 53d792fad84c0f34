package sqltemplate

import (
	"reflect"
	"testing"

	"mvapi/schema"
)

// compileCase is one template compiled with the three reference dialects.
type compileCase struct {
	name              string
	src               string
	sqlite, pg, mssql string
	keys              []Key
	sync, rows        bool
}

var (
	kUserID   = Key{Kind: UserID}
	kUserName = Key{Kind: UserName}
)

func kSParam(n string) Key { return Key{Kind: SParam, Name: "sparam" + n} }
func kField(n string) Key  { return Key{Kind: Field, Name: n} }

var compileCases = []compileCase{
	{
		name:   "userid",
		src:    "select * from tb_cdrs where callerid = [USERID]",
		sqlite: "select * from tb_cdrs where callerid = ?",
		pg:     "select * from tb_cdrs where callerid = $1",
		mssql:  "select * from tb_cdrs where callerid = @p1",
		keys:   []Key{kUserID}, rows: true,
	},
	{
		name:   "t-sql untouched",
		src:    "select top 1 callednumber from tb_cdrs with(nolock) where callerid = [USERID]",
		sqlite: "select top 1 callednumber from tb_cdrs with(nolock) where callerid = ?",
		pg:     "select top 1 callednumber from tb_cdrs with(nolock) where callerid = $1",
		mssql:  "select top 1 callednumber from tb_cdrs with(nolock) where callerid = @p1",
		keys:   []Key{kUserID}, rows: true,
	},
	{
		name:   "like with text around a keyword",
		src:    "select name from t where name like '%[SPARAM1]%'",
		sqlite: "select name from t where name like ('%' || ? || '%')",
		pg:     "select name from t where name like ('%' || $1 || '%')",
		mssql:  "select name from t where name like CONCAT('%', @p1, '%')",
		keys:   []Key{kSParam("1")}, rows: true,
	},
	{
		name:   "literal that is one keyword",
		src:    "select * from t where a = '[SPARAM1]' and e = '{email}'",
		sqlite: "select * from t where a = ? and e = ?",
		pg:     "select * from t where a = $1 and e = $2",
		mssql:  "select * from t where a = @p1 and e = @p2",
		keys:   []Key{kSParam("1"), kField("email")}, rows: true,
	},
	{
		name:   "bracket identifiers",
		src:    "select [order], [dbo].[tb_users].[name], [a]]b] from [dbo].[tb_users] where id = [USERID]",
		sqlite: "select [order], [dbo].[tb_users].[name], [a]]b] from [dbo].[tb_users] where id = ?",
		pg:     "select [order], [dbo].[tb_users].[name], [a]]b] from [dbo].[tb_users] where id = $1",
		mssql:  "select [order], [dbo].[tb_users].[name], [a]]b] from [dbo].[tb_users] where id = @p1",
		keys:   []Key{kUserID}, rows: true,
	},
	{
		name:   "not sparam keywords are identifiers",
		src:    "select [SPARAM0], [SPARAM100], [SPARAM01], [SPARAM], [USER ID]",
		sqlite: "select [SPARAM0], [SPARAM100], [SPARAM01], [SPARAM], [USER ID]",
		pg:     "select [SPARAM0], [SPARAM100], [SPARAM01], [SPARAM], [USER ID]",
		mssql:  "select [SPARAM0], [SPARAM100], [SPARAM01], [SPARAM], [USER ID]",
		rows:   true,
	},
	{
		name:   "sparam range",
		src:    "select [SPARAM1], [SPARAM9], [SPARAM10], [SPARAM99]",
		sqlite: "select ?, ?, ?, ?",
		pg:     "select $1, $2, $3, $4",
		mssql:  "select @p1, @p2, @p3, @p4",
		keys:   []Key{kSParam("1"), kSParam("9"), kSParam("10"), kSParam("99")}, rows: true,
	},
	{
		name:   "comments keep keywords",
		src:    "select a -- comment [USERID] {x} 'q\nfrom t /* [USERNAME] ' */ where u = [USERNAME]",
		sqlite: "select a -- comment [USERID] {x} 'q\nfrom t /* [USERNAME] ' */ where u = ?",
		pg:     "select a -- comment [USERID] {x} 'q\nfrom t /* [USERNAME] ' */ where u = $1",
		mssql:  "select a -- comment [USERID] {x} 'q\nfrom t /* [USERNAME] ' */ where u = @p1",
		keys:   []Key{kUserName}, rows: true,
	},
	{
		name:   "escaped quote around a keyword",
		src:    "select 'it''s [SPARAM2] ok'",
		sqlite: "select ('it''s ' || ? || ' ok')",
		pg:     "select ('it''s ' || $1 || ' ok')",
		mssql:  "select CONCAT('it''s ', @p1, ' ok')",
		keys:   []Key{kSParam("2")}, rows: true,
	},
	{
		name:   "literal without keywords is verbatim",
		src:    "select 'it''s [not a keyword] {nope {1x} [SPARAM0]', '', ''''",
		sqlite: "select 'it''s [not a keyword] {nope {1x} [SPARAM0]', '', ''''",
		pg:     "select 'it''s [not a keyword] {nope {1x} [SPARAM0]', '', ''''",
		mssql:  "select 'it''s [not a keyword] {nope {1x} [SPARAM0]', '', ''''",
		rows:   true,
	},
	{
		name:   "adjacent keywords in a literal",
		src:    "select '[SPARAM1][SPARAM2]', '{a}''{b}'",
		sqlite: "select (? || ?), (? || '''' || ?)",
		pg:     "select ($1 || $2), ($3 || '''' || $4)",
		mssql:  "select CONCAT(@p1, @p2), CONCAT(@p3, '''', @p4)",
		keys:   []Key{kSParam("1"), kSParam("2"), kField("a"), kField("b")}, rows: true,
	},
	{
		name:   "not a field",
		src:    "select {not a field}, {1abc}, {fn now()}, {}, { x}",
		sqlite: "select {not a field}, {1abc}, {fn now()}, {}, { x}",
		pg:     "select {not a field}, {1abc}, {fn now()}, {}, { x}",
		mssql:  "select {not a field}, {1abc}, {fn now()}, {}, { x}",
		rows:   true,
	},
	{
		name:   "fields are lower-cased",
		src:    "select {Email}, {_x1}, {USER_ID}",
		sqlite: "select ?, ?, ?",
		pg:     "select $1, $2, $3",
		mssql:  "select @p1, @p2, @p3",
		keys:   []Key{kField("email"), kField("_x1"), kField("user_id")}, rows: true,
	},
	{
		name:   "case-insensitive keywords",
		src:    "select [userid], [SParam3], [UserName], [sparam42]",
		sqlite: "select ?, ?, ?, ?",
		pg:     "select $1, $2, $3, $4",
		mssql:  "select @p1, @p2, @p3, @p4",
		keys:   []Key{kUserID, kSParam("3"), kUserName, kSParam("42")}, rows: true,
	},
	{
		name:   "non-ASCII case folding is not a keyword",
		src:    "select [uſerid], {e\u212a}",
		sqlite: "select [uſerid], {e\u212a}",
		pg:     "select [uſerid], {e\u212a}",
		mssql:  "select [uſerid], {e\u212a}",
		rows:   true,
	},
	{
		name:   "repeated keywords",
		src:    "select * from t where a = [SPARAM1] or b = [SPARAM1] or c like '[SPARAM1]%'",
		sqlite: "select * from t where a = ? or b = ? or c like (? || '%')",
		pg:     "select * from t where a = $1 or b = $2 or c like ($3 || '%')",
		mssql:  "select * from t where a = @p1 or b = @p2 or c like CONCAT(@p3, '%')",
		keys:   []Key{kSParam("1"), kSParam("1"), kSParam("1")}, rows: true,
	},
	{
		name:   "sync",
		src:    " \n\t*update t set a = 1 where id = [USERID]\n",
		sqlite: "update t set a = 1 where id = ?",
		pg:     "update t set a = 1 where id = $1",
		mssql:  "update t set a = 1 where id = @p1",
		keys:   []Key{kUserID}, sync: true,
	},
	{
		name:   "star elsewhere is not sync",
		src:    "select * from t",
		sqlite: "select * from t", pg: "select * from t", mssql: "select * from t",
		rows: true,
	},
	{
		name:   "returning",
		src:    "insert into t (a, b) values ({a}, '{b}') returning id",
		sqlite: "insert into t (a, b) values (?, ?) returning id",
		pg:     "insert into t (a, b) values ($1, $2) returning id",
		mssql:  "insert into t (a, b) values (@p1, @p2) returning id",
		keys:   []Key{kField("a"), kField("b")}, rows: true,
	},
	{
		name:   "double-quoted identifiers",
		src:    `select "[USERID]", "a""{b}" from "t"`,
		sqlite: `select "[USERID]", "a""{b}" from "t"`,
		pg:     `select "[USERID]", "a""{b}" from "t"`,
		mssql:  `select "[USERID]", "a""{b}" from "t"`,
		rows:   true,
	},
	{
		name:   "dollar quotes",
		src:    "select $$ [USERID] ' $$, $fn$ {x} $ $fn$, a$b$, $x, [USERID]",
		sqlite: "select $$ [USERID] ' $$, $fn$ {x} $ $fn$, a$b$, $x, ?",
		pg:     "select $$ [USERID] ' $$, $fn$ {x} $ $fn$, a$b$, $x, $1",
		mssql:  "select $$ [USERID] ' $$, $fn$ {x} $ $fn$, a$b$, $x, @p1",
		keys:   []Key{kUserID}, rows: true,
	},
	{
		name:   "prefixed literals",
		src:    "select N'%[SPARAM1]%', n'{a}', E'a\\'[userid]', U&'x{b}', N'plain'",
		sqlite: "select (N'%' || ? || N'%'), ?, (E'a\\'' || ?), (U&'x' || ?), N'plain'",
		pg:     "select (N'%' || $1 || N'%'), $2, (E'a\\'' || $3), (U&'x' || $4), N'plain'",
		mssql:  "select CONCAT(N'%', @p1, N'%'), @p2, CONCAT(E'a\\'', @p3), CONCAT(U&'x', @p4), N'plain'",
		keys:   []Key{kSParam("1"), kField("a"), kUserID, kField("b")}, rows: true,
	},
	{
		name:   "generated expressions never touch neighbours",
		src:    "select $[USERID], a[SPARAM1]b, x='{a}'y, [SPARAM2]::int",
		sqlite: "select $ ?, a ? b, x=? y, ?::int",
		pg:     "select $ $1, a $2 b, x=$3 y, $4::int",
		mssql:  "select $ @p1, a @p2 b, x=@p3 y, @p4::int",
		keys:   []Key{kUserID, kSParam("1"), kField("a"), kSParam("2")}, rows: true,
	},
	{
		name:   "unicode text",
		src:    "select 'ünï [SPARAM1] ✓' from tëst",
		sqlite: "select ('ünï ' || ? || ' ✓') from tëst",
		pg:     "select ('ünï ' || $1 || ' ✓') from tëst",
		mssql:  "select CONCAT('ünï ', @p1, ' ✓') from tëst",
		keys:   []Key{kSParam("1")}, rows: true,
	},
	{
		name:   "other prefixes and placeholders of other dialects",
		src:    "select X'{a}', @p, @param, $, :name from t",
		sqlite: "select X ?, @p, @param, $, :name from t",
		pg:     "select X $1, @p, @param, $, :name from t",
		mssql:  "select X @p1, @p, @param, $, :name from t",
		keys:   []Key{kField("a")}, rows: true,
	},
}

func TestCompile(t *testing.T) {
	for _, tc := range compileCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range []struct {
				name string
				d    Dialect
				want string
			}{{"sqlite", schema.SQLite, tc.sqlite}, {"postgres", schema.Postgres, tc.pg}, {"sqlserver", schema.SQLServer, tc.mssql}} {
				tmpl, err := Compile(tc.src, d.d)
				if err != nil {
					t.Fatalf("%s: Compile(%q): %v", d.name, tc.src, err)
				}
				if got := tmpl.SQL(); got != d.want {
					t.Errorf("%s: SQL()\n got %q\nwant %q", d.name, got, d.want)
				}
				if got := tmpl.Keys(); !reflect.DeepEqual(got, tc.keys) && len(got)+len(tc.keys) > 0 {
					t.Errorf("%s: Keys() = %v, want %v", d.name, got, tc.keys)
				}
				if tmpl.Sync() != tc.sync {
					t.Errorf("%s: Sync() = %v, want %v", d.name, tmpl.Sync(), tc.sync)
				}
				if tmpl.ReturnsRows() != tc.rows {
					t.Errorf("%s: ReturnsRows() = %v, want %v", d.name, tmpl.ReturnsRows(), tc.rows)
				}
				checkPlaceholders(t, d.d, tmpl)
			}
		})
	}
}
