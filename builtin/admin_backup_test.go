package builtin_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
)

// TestBackupAndRestore: on SQLite dbbackup writes a consistent copy and
// dbrestore puts its data back into the live database, after refusing
// files that are not mvapi databases; on a server database both name the
// tool to use.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, dirs := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		admin := []string{"authkey", v.key, "authid", "root", "authpwd", pwd("root")}
		restore := func(kv ...string) string {
			return v.serve("127.0.0.1", "dbrestore", append(admin, kv...)...).Text
		}
		if v.db.Dialect.Name != "sqlite" {
			wantErr(t, v.as("root", "dbbackup"), "use pg_dump")
			if got := restore("path", "x.db"); !strings.Contains(got, "pg_restore") {
				t.Fatalf("dbrestore on %s: %q", v.db.Dialect.Name, got)
			}
			return
		}
		v.user("keep", engine.TypeEndUser, 3)
		v.exec("INSERT INTO tb_api (fname, customsql) VALUES ('fromold', 'SELECT 1')")
		wantOK(t, v.as("root", "dbbackup", "path", "one.db"), "OK: backup written: one.db (")
		if got := v.admin("backupdb"); !regexp.MustCompile(`^OK: backup written: mvapi-\d{8}-\d{6}\.db \(\d+ bytes\)`).MatchString(got) {
			t.Fatalf("backupdb %q", got)
		}
		wantErr(t, v.as("root", "dbbackup", "path", "one.db"), "one.db already exists")
		later := v.user("later", engine.TypeEndUser, 1)
		v.exec("UPDATE tb_users SET credit = 99 WHERE username = 'keep'")
		v.exec("DELETE FROM tb_api WHERE fname = 'fromold'")
		wantOK(t, v.as("root", "apireload"), "OK: ")

		// Files that are not mvapi databases are refused and nothing changes.
		os.WriteFile(filepath.Join(dirs.backup, "text.db"), []byte("not a database at all, just text"), 0o600)
		other, err := sqlx.Open("sqlite", "file:"+filepath.Join(dirs.backup, "other.db"))
		if err != nil {
			t.Fatal(err)
		}
		other.MustExec("CREATE TABLE foo (id INTEGER)")
		other.Close()
		for name, want := range map[string]string{"text.db": "not an SQLite database", "other.db": "not an mvapi database: no table tb_api",
			"missing.db": "no such file", "../one.db": "bad path"} {
			if got := restore("path", name); !strings.HasPrefix(got, "ERROR: ") || !strings.Contains(got, want) {
				t.Errorf("restore %s: %q, want %q", name, got, want)
			}
		}
		wantErr(t, v.as("root", "dbrestore", "path", "one.db"), "ip not allowed")
		if v.count("SELECT COUNT(*) FROM tb_users WHERE id = ?", later) != 1 {
			t.Fatal("a refused restore changed the data")
		}

		got := restore("param2", "one.db")
		if !strings.HasPrefix(got, "OK: restored one.db: ") {
			t.Fatalf("restore: %q", got)
		}
		if v.count("SELECT COUNT(*) FROM tb_users WHERE id = ?", later) != 0 || v.credit(v.idOf("keep")) != 3 {
			t.Fatal("the backup's data is not back")
		}
		if v.count("SELECT COUNT(*) FROM goose_db_version") == 0 {
			t.Fatal("migration history lost")
		}
		// The restored tb_api is in force, and the server goes on serving.
		if _, ok := v.e.Table().Lookup("fromold"); !ok {
			t.Fatal("restored tb_api not reloaded")
		}
		wantOK(t, v.as("keep", "balance"), "Your credit is $3")
		id := v.user("after", engine.TypeEndUser, 0)
		if id <= later {
			t.Fatalf("new id %d reuses ids up to %d", id, later)
		}
	})
}

func (v *env) idOf(username string) int64 {
	v.t.Helper()
	return int64(v.count("SELECT id FROM tb_users WHERE username = ?", username))
}

// TestDBReset: the idle connections are closed, the database answers, and
// requests go on.
func TestDBReset(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		v.user("ann", engine.TypeEndUser, 1)
		for range 3 {
			v.as("ann", "balance")
		}
		idle := v.db.Stats().Idle
		got := v.admin("dbreset")
		m := regexp.MustCompile(`^OK: dbreset: (\d+) idle connections closed \(they reopen on demand\), \d+ in use left to finish; database ok`).FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("dbreset %q", got)
		}
		if n, _ := strconv.Atoi(m[1]); n < 1 || n < idle-1 {
			t.Fatalf("closed %d of %d idle", n, idle)
		}
		wantOK(t, v.as("ann", "balance"), "Your credit is $1")
	})
}
