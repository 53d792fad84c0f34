package sqltemplate

import (
	"reflect"
	"testing"

	"mvapi/schema"
)

// Issue #10, item 6: several statements are compiled one by one, each
// with its placeholders numbered from 1 and its own keys.
func TestStatementsSplitAtTopLevelSemicolons(t *testing.T) {
	type stmt struct {
		sql  string
		keys []Key
		rows bool
	}
	for _, tc := range []struct {
		name string
		src  string
		d    Dialect
		want []stmt
	}{
		{"the issue's row on postgres", "*UPDATE tb_users SET statusdate = statusdate WHERE id=[USERID]; UPDATE tb_users SET displayname='[SPARAM1]' WHERE id=[USERID]", schema.Postgres,
			[]stmt{{"UPDATE tb_users SET statusdate = statusdate WHERE id=$1", []Key{kUserID}, false},
				{"UPDATE tb_users SET displayname=$1 WHERE id=$2", []Key{kSParam("1"), kUserID}, false}}},
		{"sqlserver numbers each from @p1", "update t set a = {x}; select [SPARAM2]", schema.SQLServer,
			[]stmt{{"update t set a = @p1", []Key{kField("x")}, false}, {"select @p1", []Key{kSParam("2")}, true}}},
		{"semicolons in literals, comments, identifiers stay", "update t set a = ';' /* ; */ -- ;\n; select \"a;b\" from t", schema.SQLite,
			[]stmt{{"update t set a = ';' /* ; */ -- ;", nil, false}, {"select \"a;b\" from t", nil, true}}},
		{"a trailing semicolon is one statement", "select [USERID];", schema.SQLite, []stmt{{"select ?;", []Key{kUserID}, true}}},
		{"a block keeps its semicolons", "create trigger x after insert on t begin update t set a = 1; update t set b = 2; end; select 1", schema.SQLite,
			[]stmt{{"create trigger x after insert on t begin update t set a = 1; update t set b = 2; end", nil, false}, {"select 1", nil, true}}},
		{"CASE ... END inside a block", "if 1=1 begin select case when 1=1 then 2 end; select 3; end; select [USERID]", schema.SQLServer,
			[]stmt{{"if 1=1 begin select case when 1=1 then 2 end; select 3; end", nil, false}, {"select @p1", []Key{kUserID}, true}}},
		{"BEGIN TRANSACTION is no block", "begin transaction; update t set a = [USERID]; commit", schema.SQLite,
			[]stmt{{"begin transaction", nil, false}, {"update t set a = ?", []Key{kUserID}, false}, {"commit", nil, false}}},
		{"DECLARE keeps the batch whole", "declare @x int = [USERID]; select @x", schema.SQLServer,
			[]stmt{{"declare @x int = @p1; select @x", []Key{kUserID}, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Compile(tc.src, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			var got []stmt
			for _, s := range tmpl.Statements() {
				got = append(got, stmt{s.SQL(), s.Keys(), s.ReturnsRows()})
				if s.Sync() != tmpl.Sync() {
					t.Errorf("statement %q: sync %v, template %v", s.SQL(), s.Sync(), tmpl.Sync())
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("statements:\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// {param:name} is always the request parameter (issue #10, item 7).
func TestParamKeyword(t *testing.T) {
	tmpl, err := Compile("select {param:UserID}, {userid}, '{param:x}', {param:}, {param:a b}", schema.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	want := []Key{{Kind: Param, Name: "userid"}, kField("userid"), {Kind: Param, Name: "x"}}
	if !reflect.DeepEqual(tmpl.Keys(), want) {
		t.Fatalf("keys %#v", tmpl.Keys())
	}
	if got := tmpl.SQL(); got != "select ?, ?, ?, {param:}, {param:a b}" {
		t.Fatalf("sql %q", got)
	}
}

func TestStatementsSkipCommentOnlyPieces(t *testing.T) {
	tmpl, err := Compile("select [USERID]; -- done\n; /* x */", schema.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if st := tmpl.Statements(); len(st) != 1 || st[0] != tmpl {
		t.Fatalf("statements %d", len(st))
	}
}
