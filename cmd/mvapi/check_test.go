package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// TestCheckMissingFileCreatesNothing: a mistyped SQLite path is an error
// that says so, exit 1, and no file is left behind.
func TestCheckMissingFileCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	out, err := runCLI(t, "check", "--db", "sqlite:typo.db")
	if err == nil || !strings.Contains(out, "typo.db") || !strings.Contains(out, "no such file") {
		t.Fatalf("check on a missing file: %v %q", err, out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("check left %v behind", entries)
	}
	out, _ = runCLI(t, "check", "--db", "sqlite:typo.db", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); err != nil || rep.OK || rep.Error == "" {
		t.Fatalf("--json on a missing file: %v %q", err, out)
	}
}

// TestCheckRefusesAnUnmigratedDatabase: a database without mvapi's tables
// or behind this binary's migrations is an error, and check changes
// nothing in it.
func TestCheckRefusesAnUnmigratedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db := openDB(t, "sqlite:"+path)
	mvtest.MustExec(t, db, "CREATE TABLE somethingelse (a INTEGER)")
	out, err := runCLI(t, "check", "--db", "sqlite:"+path)
	if err == nil || !strings.Contains(out, "never migrated") {
		t.Fatalf("check on an unmigrated database: %v %q", err, out)
	}
	var n int
	db.Get(&n, "SELECT COUNT(*) FROM sqlite_master")
	if n != 1 {
		t.Fatalf("check changed the database: %d objects", n)
	}
	// Migrated once, then one migration forgotten: behind.
	if _, err := schema.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	mvtest.MustExec(t, db, "DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)")
	out, err = runCLI(t, "check", "--db", "sqlite:"+path)
	if err == nil || !strings.Contains(out, "is behind this mvapi") {
		t.Fatalf("check on a database behind: %v %q", err, out)
	}
}

// TestCheckListsEveryBadRow: every bad row with id, fname, field and the
// database's message; --json for CI; -v shows the compiled SQL.
func TestCheckListsEveryBadRow(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		d := db.Dialect
		ids := map[string]int64{}
		for name, sql := range map[string]string{
			"typo":  "SELEC * FROM nowhere",
			"nocol": "SELECT nosuchcol FROM tb_users",
			"good":  "SELECT credit FROM tb_users WHERE id = [USERID]",
			// read-only sessions still prepare writes
			"write": "*UPDATE tb_users SET credit = credit + [SPARAM1] WHERE id = [USERID]",
		} {
			var id int64
			if err := db.QueryRow(d.ReturningID("INSERT INTO tb_api (fname, customsql) VALUES (?, ?)"), name, sql).Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids[name] = id
		}
		mvtest.MustExec(t, db, "INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body) VALUES ('badtask', '@every 1h', 8, 'DELETE FROM nowhere')")
		out, err := runCLI(t, "check", "--db", dsn)
		if err == nil || !strings.Contains(out, "ERROR: 3 bad row(s)") {
			t.Fatalf("check: %v %q", err, out)
		}
		for _, want := range []string{
			fmt.Sprintf(`tb_api id=%d fname="typo": customsql: %s refused it: `, ids["typo"], d.Title()),
			fmt.Sprintf(`tb_api id=%d fname="nocol": customsql: %s refused it: `, ids["nocol"], d.Title()),
			"nosuchcol",
			`tb_scheduledtasks id=1 name="badtask": custom_action: code 8 (SQL): ` + d.Title() + " refused it: ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("check output lacks %q:\n%s", want, out)
			}
		}
		out, err = runCLI(t, "check", "--db", dsn, "--json", "-v")
		if err == nil {
			t.Fatal("check --json passed")
		}
		var rep checkReport
		if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		if rep.OK || len(rep.Bad) != 3 || rep.Entries == 0 {
			t.Fatalf("report %+v", rep)
		}
		for _, b := range rep.Bad {
			if b.Fname == "badtask" {
				if b.Table != "tb_scheduledtasks" || b.Field != "custom_action" {
					t.Errorf("bad task %+v", b)
				}
				continue
			}
			if b.Table != "tb_api" || b.Field != "customsql" || b.ID != ids[b.Fname] || b.Message == "" {
				t.Errorf("bad row %+v", b)
			}
			if b.Fname == "nocol" && d.DescribeSQL() == "" && strings.HasPrefix(dsn, "postgres") && b.Position == 0 {
				t.Errorf("PostgreSQL gave no position: %+v", b)
			}
		}
		var good *checkRow
		for i := range rep.Rows {
			if rep.Rows[i].Fname == "good" {
				good = &rep.Rows[i]
			}
		}
		if good == nil || good.SQL != "SELECT credit FROM tb_users WHERE id = "+d.Placeholder(1) {
			t.Fatalf("-v rows %+v", rep.Rows)
		}
		mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname NOT IN ('good', 'write')")
		mvtest.MustExec(t, db, "DELETE FROM tb_scheduledtasks")
		if out, err := runCLI(t, "check", "--db", dsn, "-v"); err != nil || !strings.Contains(out, "OK: ") ||
			!strings.Contains(out, "customsql: SELECT credit FROM tb_users WHERE id = ") {
			t.Fatalf("check -v of a good table: %v %q", err, out)
		}
	})
}

// TestCheckAStoppedServersDatabase: a database no process has open (no
// -wal or -shm file beside it) checks read-only, and check leaves the
// folder as it found it.
func TestCheckAStoppedServersDatabase(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "stopped.db")
	db, err := openMigrated(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadDir(dir)
	out, err := runCLI(t, "check", "--db", dsn)
	if err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("check: %v %q", err, out)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Fatalf("check left files: before %v, after %v", before, after)
	}
}
