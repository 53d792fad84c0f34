package engine_test

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
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

// BenchmarkTableHeap reports the heap a rule table of 10,000 tb_api rows
// keeps, with its row cache, as a server holds it after start
// (heap-B/rule, measured after a GC with the table held and again with
// it dropped); ns/op is the compile at start (without the check of each
// statement against the database).
func BenchmarkTableHeap(b *testing.B) {
	const rules = 10000
	db := mvtest.MustDB(b)
	seedRules(b, db, rules)
	e := mvtest.MustEngine(b, db, nil)
	ctx := context.Background()
	var held, n uint64
	for b.Loop() {
		b.StopTimer()
		var before, with runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		t, err := e.CompileAtStart(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&with)
		runtime.KeepAlive(t)
		held += with.HeapAlloc - min(with.HeapAlloc, before.HeapAlloc)
		n++
		b.StartTimer()
	}
	b.ReportMetric(float64(held)/float64(n)/rules, "heap-B/rule")
}

// An unchanged row keeps its compiled entry across apireload; a changed
// one, and every row after a config change, is compiled again.
func TestReloadReusesUnchangedRows(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) { testReloadReusesUnchangedRows(t, mvtest.MustOpen(t, dsn)) })
}

func testReloadReusesUnchangedRows(t *testing.T, db *schema.DB) {
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
	if fmt.Sprint(d.Changed) != "[rule00001 rule00002]" { // a new description is a change too
		t.Errorf("changed %v, want [rule00001 rule00002]", d.Changed)
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

// A reload sees every change of tb_api made by hand (the row markers of
// loadRowsCached): each column, an insert, a delete, a row deleted and
// inserted again under the same id, an UPDATE that changes nothing.
func TestReloadSeesEveryChange(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) { testReloadSeesEveryChange(t, mvtest.MustOpen(t, dsn)) })
}

func testReloadSeesEveryChange(t *testing.T, db *schema.DB) {
	seedRules(t, db, 5)
	e := mvtest.MustEngine(t, db, nil)
	ctx := context.Background()
	reload := func(step string) *engine.Table {
		t.Helper()
		if _, err := e.ReloadTable(ctx); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return e.Table()
	}
	entry := func(name string) *engine.Entry {
		en, _ := e.Table().Lookup(name)
		return en
	}
	var one int64
	if err := db.GetContext(ctx, &one, "SELECT id FROM tb_api WHERE fname = 'rule00001'"); err != nil {
		t.Fatal(err)
	}
	for _, set := range []string{"req_key = 0", "req_ip = 1", "req_user = 4", "req_user_mode = 2", "req_user_credit = 1.5",
		"req_user_register = 1", "req_user_login = 1", "customsql = 'SELECT 7'", "enabled = 0", "enabled = 1",
		"customsql = 'SELECT 8', description = 'words'", "fname = 'renamed'", "fname = 'rule00001'"} {
		before := e.Table()
		mvtest.MustExec(t, db, db.Dialect.Rebind("UPDATE tb_api SET "+set+" WHERE id = ?"), one)
		after := reload(set)
		if set != "fname = 'renamed'" && engine.Reused(before, after, "rule00001") {
			t.Errorf("%s: rule00001 kept its old entry", set)
		}
		if !engine.Reused(before, after, "rule00003") {
			t.Errorf("%s: unchanged rule00003 compiled again", set)
		}
	}
	if en := entry("rule00001"); en == nil || en.Description != "words" || en.Enabled != true {
		t.Errorf("rule00001 after the updates: %+v", en)
	}
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('added', 'SELECT 1')")
	reload("insert")
	if entry("added") == nil {
		t.Error("inserted row not seen")
	}
	mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname = 'rule00002'")
	reload("delete")
	if entry("rule00002") != nil {
		t.Error("deleted row still served")
	}
	var id int64
	if err := db.GetContext(ctx, &id, "SELECT id FROM tb_api WHERE fname = 'rule00004'"); err != nil {
		t.Fatal(err)
	}
	mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname = 'rule00004'")
	mvtest.MustExec(t, db, db.Dialect.Rebind("INSERT INTO tb_api (id, fname, customsql) VALUES (?, 'again', 'SELECT 2')"), id)
	reload("reinsert")
	if entry("again") == nil || entry("rule00004") != nil {
		t.Error("a row deleted and inserted again under its id was not seen")
	}
	before := e.Table()
	mvtest.MustExec(t, db, "UPDATE tb_api SET enabled = enabled")
	if after := reload("no-op update"); !engine.Reused(before, after, "rule00003") {
		t.Error("an UPDATE that changed nothing compiled rule00003 again")
	}
}

// A reload takes over only the entries the table in force compiled from
// the very row: a row that was a duplicate, a row whose name another row
// held, a row deleted and inserted again under a new id, a row of a
// table compiled under another config are read and compiled again.
func TestReloadKeepsOnlyEntriesOfItsRow(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		seedRules(t, db, 3)
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('twin', 'SELECT 1')")
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('twin', 'SELECT 2')")
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('broken', 'SELECT FROM WHERE')")
		e := mvtest.MustEngine(t, db, nil) // the second twin does not compile (a duplicate), nor broken
		ctx := context.Background()
		if bad := fmt.Sprint(e.BadRows()); !strings.Contains(bad, "duplicate") || !strings.Contains(bad, "broken") {
			t.Fatalf("bad rows at start: %v", bad)
		}
		// Their entries (misconfigured, none) are not taken over.
		_, err := e.ReloadTable(ctx)
		if err == nil || !strings.Contains(err.Error(), "duplicate") || !strings.Contains(err.Error(), "broken") {
			t.Fatalf("reload with the bad rows: %v", err)
		}
		mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname = 'broken'")
		if _, err := e.ReloadTable(ctx); err == nil || !strings.Contains(err.Error(), "duplicate") {
			t.Fatalf("reload with the duplicate: %v", err)
		}
		// The first twin leaves: the second, unchanged, now owns the name.
		mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname = 'twin' AND customsql = 'SELECT 1'")
		if _, err := e.ReloadTable(ctx); err != nil {
			t.Fatal(err)
		}
		if en, _ := e.Table().Lookup("twin"); en == nil || en.SQL == nil || en.SQL.SQL() != "SELECT 2" {
			t.Fatalf("twin after the first left: %+v", en)
		}
		// The same row under a new id: the entry is the same to every
		// caller, and the next reloads still serve it.
		mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname = 'twin'")
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('twin', 'SELECT 2')")
		for i := range 3 {
			before := e.Table()
			if _, err := e.ReloadTable(ctx); err != nil {
				t.Fatalf("reload %d after the reinsert: %v", i, err)
			}
			if en, _ := e.Table().Lookup("twin"); en == nil || en.SQL == nil || en.SQL.SQL() != "SELECT 2" {
				t.Fatalf("reload %d: twin %+v", i, en)
			}
			if !engine.Reused(before, e.Table(), "rule00001") {
				t.Errorf("reload %d: unchanged rule00001 compiled again", i)
			}
		}
		// A changed row takes the name of an unchanged one: the later row
		// of the two is the duplicate, whichever changed.
		for _, c := range []struct{ from, to, dupOf string }{
			{"rule00000", "rule00002", "rule00000"}, // the changed row comes first
			{"rule00002", "rule00001", "rule00001"}, // the unchanged row comes first
		} {
			mvtest.MustExec(t, db, db.Dialect.Rebind("UPDATE tb_api SET fname = ? WHERE fname = ?"), c.to, c.from)
			var want int64
			if err := db.GetContext(ctx, &want, db.Dialect.Rebind("SELECT MIN(id) FROM tb_api WHERE fname = ?"), c.to); err != nil {
				t.Fatal(err)
			}
			_, err := e.ReloadTable(ctx)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("duplicate of tb_api id=%d", want)) {
				t.Errorf("%s renamed %s: %v", c.from, c.to, err)
			}
			mvtest.MustExec(t, db, db.Dialect.Rebind("UPDATE tb_api SET fname = ? WHERE id <> ? AND fname = ?"), c.from, want, c.to)
			if c.from == "rule00000" { // the renamed row is the one with the lower id
				mvtest.MustExec(t, db, db.Dialect.Rebind("UPDATE tb_api SET fname = ? WHERE id = ?"), c.from, want)
				mvtest.MustExec(t, db, db.Dialect.Rebind("UPDATE tb_api SET fname = ? WHERE fname = ? AND id <> ?"), c.to, c.from, want)
			}
			if _, err := e.ReloadTable(ctx); err != nil {
				t.Fatalf("after undoing %s -> %s: %v", c.from, c.to, err)
			}
		}
		// Another config: nothing is taken over, every row compiles again.
		before := e.Table()
		mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('sqltimeout', '17')")
		if err := e.ReloadConfig(ctx); err != nil {
			t.Fatal(err)
		}
		if engine.Reused(before, e.Table(), "rule00001") {
			t.Error("rule00001 kept its entry across a config change")
		}
		// And the reload after it takes the new entries over again.
		before = e.Table()
		if _, err := e.ReloadTable(ctx); err != nil {
			t.Fatal(err)
		}
		if !engine.Reused(before, e.Table(), "rule00001") || !engine.Reused(before, e.Table(), "twin") {
			t.Error("an unchanged row compiled again after the config reload")
		}
	})
}

// BenchmarkReloadUnderLoad serves balance (1,000 users, 10,000 tb_api
// rows) from parallel goroutines without a socket: "steady" alone,
// "reloading" while one goroutine changes a row and runs apireload back
// to back (reloads/s reported). Compare their ns/op within one run (the
// ratio is the throughput kept under reloads); -count interleaves them.
func BenchmarkReloadUnderLoad(b *testing.B) {
	const rules, users = 10000, 1000
	db := mvtest.MustDB(b)
	seedRules(b, db, rules)
	e := mvtest.MustEngine(b, db, map[string]string{"allowtrustedip": "0"})
	key := mvtest.APIKey(b, db)
	for i := range users {
		mvtest.MustUser(b, db, engine.NewUser{Username: fmt.Sprintf("user%04d", i), Password: "password1", Credit: 10})
	}
	ip := netip.MustParseAddr("203.0.113.9")
	serve := func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			i := 0
			for pb.Next() {
				i++
				name := fmt.Sprintf("user%04d", i*7919%users)
				p := []wire.Param{{Name: "apientry", Value: "balance"}, {Name: "authkey", Value: key}, {Name: "authid", Value: name},
					{Name: "authsalt", Value: "123456"}, {Name: "authmd5", Value: engine.AuthMD5(name, "password1", "", "123456")}}
				if res := e.Serve(ctx, engine.NewRequest(p, ip, "internal")); !res.OK {
					b.Fatal(res.Text)
				}
			}
		})
	}
	b.Run("steady", serve)
	b.Run("reloading", func(b *testing.B) {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan int)
		go func() {
			n := 0
			for ; ctx.Err() == nil; n++ {
				mvtest.MustExec(b, db, "UPDATE tb_api SET customsql = ? WHERE fname = 'rule00042'",
					fmt.Sprintf("SELECT credit FROM tb_users WHERE id = [USERID] AND %d > 0", n))
				if _, err := e.ReloadTable(ctx); err != nil && ctx.Err() == nil {
					b.Error(err)
					break
				}
			}
			done <- n
		}()
		serve(b)
		stop()
		b.ReportMetric(float64(<-done)/b.Elapsed().Seconds(), "reloads/s")
	})
}
