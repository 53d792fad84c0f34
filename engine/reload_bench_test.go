package engine_test

import (
	"context"
	"fmt"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// seedRules adds n customsql rows to tb_api in one transaction.
func seedRules(tb testing.TB, db *schema.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		if _, err := tx.ExecContext(ctx, db.Dialect.Rebind("INSERT INTO tb_api (fname, customsql, description) VALUES (?, ?, ?)"),
			fmt.Sprintf("rule%05d", i), fmt.Sprintf("SELECT credit, currency FROM tb_users WHERE id = [USERID] AND %d > 0 AND '%%[SPARAM1]%%' <> ''", i+1),
			"seeded"); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkReload measures apireload of 10,000 tb_api rows on SQLite:
// "one-changed" (one row edited between reloads: read 10,000 rows,
// compile one), "unchanged" and "full" (compile every row, reusing
// nothing: what a server does at start).
func BenchmarkReload(b *testing.B) {
	const rules = 10000
	db := mvtest.MustDB(b)
	seedRules(b, db, rules)
	e := mvtest.MustEngine(b, db, nil)
	ctx := context.Background()
	b.Run("one-changed", func(b *testing.B) {
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			mvtest.MustExec(b, db, "UPDATE tb_api SET customsql = ? WHERE fname = 'rule00042'",
				fmt.Sprintf("SELECT credit FROM tb_users WHERE id = [USERID] AND %d > 0", i))
			b.StartTimer()
			d, err := e.ReloadTable(ctx)
			if err != nil || len(d.Changed) != 1 {
				b.Fatal(d, err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.ReloadTable(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.CompileFull(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// An unchanged row keeps its compiled entry across apireload; a changed
// one, and every row after a config change, is compiled again.
func TestReloadReusesUnchangedRows(t *testing.T) {
	db := mvtest.MustDB(t)
	seedRules(t, db, 3)
	e := mvtest.MustEngine(t, db, nil)
	ctx := context.Background()
	before := e.Table()
	mvtest.MustExec(t, db, "UPDATE tb_api SET customsql = 'SELECT 2' WHERE fname = 'rule00001'")
	mvtest.MustExec(t, db, "UPDATE tb_api SET description = 'new words' WHERE fname = 'rule00002'")
	d, err := e.ReloadTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after := e.Table()
	if fmt.Sprint(d.Changed) != "[rule00001]" {
		t.Errorf("changed %v, want [rule00001]", d.Changed)
	}
	if !engine.Reused(before, after, "rule00000") {
		t.Error("unchanged rule00000 was compiled again")
	}
	if engine.Reused(before, after, "rule00001") || engine.Reused(before, after, "rule00002") {
		t.Error("a changed row (customsql, description) kept its old entry")
	}
	if en, _ := after.Lookup("rule00002"); en.Description != "new words" {
		t.Errorf("description %q", en.Description)
	}
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('sqltimeout', '16')")
	if err := e.ReloadConfig(ctx); err != nil {
		t.Fatal(err)
	}
	mvtest.MustExec(t, db, "UPDATE tb_api SET customsql = 'SELECT 3' WHERE fname = 'rule00001'")
	if _, err := e.ReloadTable(ctx); err != nil {
		t.Fatal(err)
	}
	if engine.Reused(after, e.Table(), "rule00000") {
		t.Error("after a config change rule00000 kept the entry compiled under the old config")
	}
}
