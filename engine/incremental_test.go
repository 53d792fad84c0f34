package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// reloadAndCompare runs apireload and a compile from scratch of the same
// tb_api and fails unless they agree: the same entries field by field,
// the same row cache, the Diff of a name-by-name comparison, and the same
// error (the old table kept) when tb_api does not compile. It returns
// whether the reload was incremental, and apireload's error.
func reloadAndCompare(t *testing.T, e *engine.Engine, step string) (bool, error) {
	t.Helper()
	ctx := context.Background()
	before := e.Table()
	d, err := e.ReloadTable(ctx)
	full, ferr := e.CompileAtStart(ctx)
	if (err == nil) != (ferr == nil) {
		t.Fatalf("%s: apireload error %v, full compile error %v", step, err, ferr)
	}
	if err != nil {
		if err.Error() != ferr.Error() {
			t.Fatalf("%s: apireload error\n %v\nfull compile error\n %v", step, err, ferr)
		}
		if e.Table() != before {
			t.Fatalf("%s: a failed apireload swapped the table", step)
		}
		return false, err
	}
	cur := e.Table()
	if diff := engine.CompareTables(cur, full); diff != "" {
		t.Fatalf("%s: apireload and full compile differ: %s", step, diff)
	}
	if want := engine.DiffAll(before, full); !reflect.DeepEqual(d, want) {
		t.Fatalf("%s: Diff %v, want %v", step, d, want)
	}
	return engine.Incremental(cur, before) || cur == before && d.Empty(), nil
}

// The same tb_api edits through apireload (incremental where it can be)
// and through a full compile build the same table, step by step: changed,
// added and renamed rows, names that move between rows, a row that
// shadows a built-in and stops, duplicates and bad rows refused (the old
// table kept), deletions (the full way, but for rows inserted and deleted
// again since the table in force: nothing changed then).
func TestReloadIncrementalMatchesFull(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) { testReloadIncrementalMatchesFull(t, mvtest.MustOpen(t, dsn)) })
}

func testReloadIncrementalMatchesFull(t *testing.T, db *schema.DB) {
	seedRules(t, db, 5)
	e := mvtest.MustEngine(t, db, nil)
	grows := db.Dialect.APIRowVersionGrows()
	steps := []struct {
		name string
		sql  []string
		// incremental: the reload applies the change to the table in
		// force (on a dialect whose markers grow); err: it is refused.
		incremental, err bool
		// wantDiff, when set, is the Diff's String.
		wantDiff string
	}{
		{name: "nothing", incremental: true, wantDiff: "no changes"},
		{name: "update", sql: []string{"UPDATE tb_api SET customsql = 'SELECT 2' WHERE fname = 'rule00001'"}, incremental: true, wantDiff: "changed: rule00001"},
		{name: "same values", sql: []string{"UPDATE tb_api SET customsql = customsql WHERE fname = 'rule00002'"}, incremental: true, wantDiff: "no changes"},
		{name: "description", sql: []string{"UPDATE tb_api SET description = 'new text' WHERE fname = 'rule00002'"}, incremental: true, wantDiff: "changed: rule00002"},
		{name: "insert", sql: []string{"INSERT INTO tb_api (fname, customsql) VALUES ('added1', 'SELECT 3')"}, incremental: true, wantDiff: "added: added1"},
		{name: "shadow built-in", sql: []string{"INSERT INTO tb_api (fname, req_user) VALUES ('Balance ', 12)"}, incremental: true, wantDiff: "changed: balance"},
		{name: "built-in freed by rename", sql: []string{"UPDATE tb_api SET fname = 'balance2', customsql = 'SELECT 4' WHERE fname = 'Balance '"}, incremental: true},
		{name: "rename onto built-in", sql: []string{"UPDATE tb_api SET fname = 'balance' WHERE fname = 'balance2'"}, incremental: true},
		{name: "swap names", sql: []string{"UPDATE tb_api SET fname = 'tmp' WHERE fname = 'rule00003'", "UPDATE tb_api SET fname = 'rule00003' WHERE fname = 'rule00004'", "UPDATE tb_api SET fname = 'rule00004' WHERE fname = 'tmp'"}, incremental: true},
		{name: "rename onto another row", sql: []string{"UPDATE tb_api SET fname = 'rule00000' WHERE fname = 'added1'"}, err: true},
		{name: "rename back", sql: []string{"UPDATE tb_api SET fname = 'added1' WHERE id = (SELECT MAX(id) FROM tb_api WHERE fname = 'rule00000')"}, incremental: true, wantDiff: "no changes"},
		{name: "duplicate insert", sql: []string{"INSERT INTO tb_api (fname, customsql) VALUES ('RULE00001', 'SELECT 5')"}, err: true},
		{name: "duplicate deleted", sql: []string{"DELETE FROM tb_api WHERE fname = 'RULE00001'"}, incremental: true, wantDiff: "no changes"},
		{name: "two changed rows, one name", sql: []string{"INSERT INTO tb_api (fname, customsql) VALUES ('twin', 'SELECT 6'), ('twin', 'SELECT 7')"}, err: true},
		{name: "one twin deleted", sql: []string{"DELETE FROM tb_api WHERE fname = 'twin' AND customsql = 'SELECT 7'"}, incremental: true, wantDiff: "added: twin"},
		{name: "bad customsql", sql: []string{"UPDATE tb_api SET customsql = 'SELECT [NOSUCHKEY' WHERE fname = 'twin'"}, err: true},
		{name: "bad access", sql: []string{"UPDATE tb_api SET customsql = 'SELECT 8', req_user = 3 WHERE fname = 'twin'"}, err: true},
		{name: "fixed", sql: []string{"UPDATE tb_api SET req_user = 12 WHERE fname = 'twin'"}, incremental: true, wantDiff: "changed: twin"},
		{name: "empty name", sql: []string{"INSERT INTO tb_api (fname, customsql) VALUES (' ', 'SELECT 9')"}, err: true},
		{name: "empty name deleted", sql: []string{"DELETE FROM tb_api WHERE fname = ' '"}, incremental: true, wantDiff: "no changes"},
		{name: "disabled, rule, readonly", sql: []string{"UPDATE tb_api SET enabled = 0, " + db.Dialect.Ident("rule") + " = 'ip != \"\"', readonly = 1 WHERE fname = 'rule00000'"}, incremental: true, wantDiff: "changed: rule00000"},
		{name: "no new entry", sql: []string{"INSERT INTO tb_api (fname) VALUES ('nothing')"}, err: true},
		{name: "given a body", sql: []string{"UPDATE tb_api SET customsql = 'SELECT 10' WHERE fname = 'nothing'"}, incremental: true, wantDiff: "added: nothing"},
		{name: "shadowing row deleted", sql: []string{"DELETE FROM tb_api WHERE fname = 'balance'"}, wantDiff: "changed: balance"},
		{name: "row of id 0", sql: []string{"INSERT INTO tb_api (id, fname, customsql) VALUES (0, 'zero', 'SELECT 11')"}, wantDiff: "added: zero"},
		{name: "duplicate of row 0", sql: []string{"INSERT INTO tb_api (fname, customsql) VALUES ('zero', 'SELECT 12')"}, err: true},
		{name: "duplicate of row 0 renamed", sql: []string{"UPDATE tb_api SET fname = 'nonzero' WHERE fname = 'zero' AND id <> 0"}, wantDiff: "added: nonzero"},
	}
	for _, s := range steps {
		for _, q := range s.sql {
			mvtest.MustExec(t, db, q)
		}
		before := e.Table()
		inc, _ := reloadAndCompare(t, e, s.name)
		if s.err {
			if _, err := e.ReloadTable(context.Background()); err == nil {
				t.Fatalf("%s: apireload accepted it", s.name)
			}
			continue
		}
		if grows && inc != s.incremental {
			t.Errorf("%s: incremental %v, want %v", s.name, inc, s.incremental)
		}
		if s.wantDiff != "" {
			if got := engine.DiffAll(before, e.Table()).String(); !strings.HasSuffix(got, s.wantDiff) {
				t.Errorf("%s: Diff %q, want ...%q", s.name, got, s.wantDiff)
			}
		}
	}
}

// Random sequences of tb_api edits (names drawn from a small set that
// includes built-ins, so that names collide often; bad SQL; deletions)
// build, through apireload, the table a full compile builds.
// TestReloadIncrementalRandom also runs with incremental tables merging
// their overlay of changed names once it holds more than 2 (maxOverlay).
func TestReloadIncrementalRandom(t *testing.T) {
	for _, over := range []int{0, 2} {
		t.Run(fmt.Sprint("maxoverlay=", over), func(t *testing.T) {
			if over > 0 {
				engine.SetMaxOverlay(t, over)
			}
			testReloadIncrementalRandom(t, over)
		})
	}
}

func testReloadIncrementalRandom(t *testing.T, maxOverlay int) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		seedRules(t, db, 12)
		e := mvtest.MustEngine(t, db, nil)
		seed := uint64(rand.Int64())
		t.Logf("seed %d", seed)
		r := rand.New(rand.NewPCG(seed, 13))
		names := []string{"rule00000", "rule00003", "rule00011", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "R2 ", "balance", "getuserinfo", ""}
		pick := func() string { return names[r.IntN(len(names))] }
		bodies := []string{"SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4", "SELECT credit FROM tb_users WHERE id = [USERID]", "SELECT [SPARAM2]", "SELECT [BAD", ""}
		someID := "(SELECT id FROM tb_api ORDER BY id LIMIT 1 OFFSET %d)"
		if db.Dialect.Name == "mssql" {
			someID = "(SELECT id FROM tb_api ORDER BY id OFFSET %d ROWS FETCH NEXT 1 ROWS ONLY)"
		}
		incremental, mostOverlaid := 0, 0
		steps := 150
		if testing.Short() {
			steps = 40
		}
		for i := range steps {
			var ops []string
			for range 1 + r.IntN(3) {
				n := r.IntN(14)
				switch op := r.IntN(11); {
				case op < 3:
					mvtest.MustExec(t, db, fmt.Sprintf("UPDATE tb_api SET customsql = ? WHERE id = "+someID, n), bodies[r.IntN(len(bodies))])
					ops = append(ops, "sql")
				case op < 5:
					mvtest.MustExec(t, db, fmt.Sprintf("UPDATE tb_api SET fname = ? WHERE id = "+someID, n), pick())
					ops = append(ops, "rename")
				case op < 6:
					mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES (?, ?)", pick(), bodies[r.IntN(len(bodies))])
					ops = append(ops, "insert")
				case op < 7 && r.IntN(2) == 0:
					mvtest.MustExec(t, db, fmt.Sprintf("DELETE FROM tb_api WHERE id = "+someID, n))
					ops = append(ops, "delete")
				case op < 9:
					mvtest.MustExec(t, db, fmt.Sprintf("UPDATE tb_api SET description = ? WHERE id = "+someID, n), fmt.Sprint("d", r.IntN(3)))
					ops = append(ops, "description")
				default:
					mvtest.MustExec(t, db, fmt.Sprintf("UPDATE tb_api SET enabled = enabled WHERE id = "+someID, n))
					ops = append(ops, "touch")
				}
			}
			inc, err := reloadAndCompare(t, e, fmt.Sprintf("step %d %v (seed %d)", i, ops, seed))
			if inc {
				incremental++
			}
			overlaid := engine.Overlaid(e.Table())
			if maxOverlay > 0 && overlaid > maxOverlay {
				t.Fatalf("step %d: %d names on top of the shared entries, more than %d", i, overlaid, maxOverlay)
			}
			mostOverlaid = max(mostOverlaid, overlaid)
			// Most of the time, mend the rows that were refused, so that
			// the next edits apply to a table that compiles.
			var ce *engine.CompileError
			if errors.As(err, &ce) && r.IntN(4) != 0 {
				for _, re := range ce.Rows {
					if re.Field == "fname" {
						mvtest.MustExec(t, db, "UPDATE tb_api SET fname = ? WHERE id = ?", fmt.Sprint("u", re.ID), re.ID)
					} else {
						mvtest.MustExec(t, db, "UPDATE tb_api SET customsql = 'SELECT 1' WHERE id = ?", re.ID)
					}
				}
			}
		}
		t.Logf("%d of %d reloads incremental, up to %d names on top of shared entries", incremental, steps, mostOverlaid)
		if db.Dialect.APIRowVersionGrows() && (incremental == 0 || mostOverlaid == 0) {
			t.Errorf("%d reloads incremental, up to %d names on top of shared entries: the incremental path was not tested", incremental, mostOverlaid)
		}
	})
}
