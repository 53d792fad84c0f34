package engine_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// A large tb_api compiles on every processor (compileRows): the table and
// the bad rows, in row order, are those of a compile row by row, with
// duplicates, rows that do not compile, a built-in overridden and a
// statement the database refuses among them.
func TestParallelCompileMatchesSequential(t *testing.T) {
	db := mvtest.MustDB(t)
	ctx := context.Background()
	for i := range 1500 {
		name, sql, rule := fmt.Sprintf("prow%04d", i), fmt.Sprintf("SELECT credit FROM tb_users WHERE id = [USERID] AND %d > 0", i), ""
		switch {
		case i%97 == 5:
			name = fmt.Sprintf("prow%04d", i-1) // a duplicate of the row before
		case i%89 == 7:
			sql = "SELEC credit FROM" // refused by the database
		case i%83 == 3:
			sql = "SELECT nosuchcolumn FROM tb_users WHERE id = [USERID]"
		case i%79 == 2:
			rule = "credit >" // does not compile
		case i == 700:
			name, sql = "balance", "" // a built-in with its own access
		}
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql, rule, req_key) VALUES (?, NULLIF(?, ''), NULLIF(?, ''), ?)", name, sql, rule, i%2)
	}
	e := mvtest.MustEngine(t, db, nil) // compiled at start: the bad rows are misconfigured
	badRows := func(err error) []string {
		t.Helper()
		var ce *engine.CompileError
		if !errors.As(err, &ce) {
			t.Fatalf("compile: %v, want the bad rows", err)
		}
		var bad []string
		for i, r := range ce.Rows {
			if i > 0 && r.ID < ce.Rows[i-1].ID {
				t.Errorf("bad row %d after row %d: not in row order", r.ID, ce.Rows[i-1].ID)
			}
			bad = append(bad, fmt.Sprintf("%d %s %s", r.ID, r.Field, r.Err))
		}
		return bad
	}
	days := 7
	reload := func() (table map[string]string, atStart, checked []string) {
		t.Helper()
		tbl, err := e.CompileAtStart(ctx)
		if tbl == nil {
			t.Fatalf("compile: %v", err)
		}
		// a config change compiles every row again, each statement
		// checked against the database (the old table stays)
		days++
		mvtest.MustExec(t, db, "UPDATE tb_globalconfig SET value = ? WHERE name = 'reqiddays'", fmt.Sprint(days))
		return engine.Describe(tbl), badRows(err), badRows(e.ReloadConfig(ctx))
	}
	engine.SetParallelRows(t, 1) // every compile of more than one row in parallel
	parTable, parBad, parChecked := reload()
	engine.SetParallelRows(t, 1<<30) // row by row
	seqTable, seqBad, seqChecked := reload()
	if len(parBad) < 30 || len(parChecked) < len(parBad)+30 {
		t.Fatalf("%d bad rows, %d checked against the database: the test rows do not fail as meant: %v", len(parBad), len(parChecked), parChecked)
	}
	if !reflect.DeepEqual(parBad, seqBad) {
		t.Errorf("bad rows in parallel:\n%v\nrow by row:\n%v", parBad, seqBad)
	}
	if !reflect.DeepEqual(parChecked, seqChecked) {
		t.Errorf("bad rows of the checked compile in parallel:\n%v\nrow by row:\n%v", parChecked, seqChecked)
	}
	if !reflect.DeepEqual(parTable, seqTable) {
		for name, d := range seqTable {
			if parTable[name] != d {
				t.Errorf("entry %s in parallel: %s\nrow by row: %s", name, parTable[name], d)
			}
		}
		t.Fatalf("the tables differ (%d and %d entries)", len(parTable), len(seqTable))
	}
}
