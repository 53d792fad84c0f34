package engine_test

import (
	"context"
	"net/netip"
	"testing"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
)

// A statement counts as a point read only when SQLite's plan reads every
// table by its rowid or by equality on all the columns of a unique index.
func TestPointReadPlans(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustExec(t, db, "CREATE TABLE pr_pair (a INTEGER NOT NULL, b INTEGER NOT NULL, note TEXT)")
	mvtest.MustExec(t, db, "CREATE UNIQUE INDEX ux_pr_pair ON pr_pair (a, b)")
	mvtest.MustExec(t, db, "CREATE INDEX ix_pr_pair_note ON pr_pair (note)")
	ctx := context.Background()
	for _, c := range []struct {
		query string
		want  bool
	}{
		{"SELECT credit, currency FROM tb_users WHERE id = ?", true},
		{"SELECT u.credit FROM tb_users u WHERE u.username = ?", true},
		{"SELECT credit FROM tb_users WHERE id IN (1, 2, 3)", true},
		{"SELECT a.credit, b.currency FROM tb_users a JOIN tb_users b ON b.id = a.id WHERE a.username = ?", true},
		{"SELECT note FROM pr_pair WHERE a = ? AND b = ?", true},
		{"SELECT note FROM pr_pair WHERE a = ?", false},                     // part of the unique index: many rows
		{"SELECT a FROM pr_pair WHERE note = ?", false},                     // an index that is not unique
		{"SELECT COUNT(*) FROM tb_users WHERE type = ?", false},             // a scan
		{"SELECT credit FROM tb_users WHERE id > ? ORDER BY credit", false}, // a range and a sort
		{"SELECT u.credit, (SELECT COUNT(*) FROM tb_api) FROM tb_users u WHERE u.id = ?", false},
		{"SELECT credit FROM tb_users WHERE id = ? UNION SELECT credit FROM tb_users WHERE id = ?", false},
		{"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 5", false},
		{"SELECT 40 + 2", false},                                 // no table: expressions may be slow
		{"SELECT credit FROM no_such_table WHERE id = ?", false}, // does not compile
	} {
		n := 0
		for _, r := range c.query {
			if r == '?' {
				n++
			}
		}
		if got := engine.IsPointRead(ctx, db.DB.DB, c.query, n); got != c.want {
			t.Errorf("%s: point read %v, want %v", c.query, got, c.want)
		}
	}
}

// A point read (a customsql SELECT by id) runs without a watcher on the
// request's context and answers as any other; a request cancelled before
// it runs still fails, and an entry that is not a point read keeps its
// watcher.
func TestPointReadCustomSQL(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustExec(t, db, "INSERT INTO tb_users (type, username, password, credit) VALUES (0, 'pat', 'pw', 12.5)")
	mvtest.MustExec(t, db, `INSERT INTO tb_api (fname, customsql, req_key, req_user) VALUES
 ('mycredit', 'SELECT credit, currency FROM tb_users WHERE id = [USERID]', 0, 14),
 ('usercount', 'SELECT COUNT(*) FROM tb_users', 0, 14)`)
	e := mvtest.MustEngine(t, db, nil)
	ask := func(ctx context.Context, entry string) format.Result {
		req := engine.NewRequest([]wire.Param{{Name: "apientry", Value: entry}, {Name: "authid", Value: "pat"}, {Name: "authpwd", Value: "pw"}},
			netip.MustParseAddr("203.0.113.1"), "internal")
		return e.Serve(ctx, req)
	}
	ctx := context.Background()
	for range 2 { // prepared (and its plan read) on the first
		if got := ask(ctx, "mycredit"); got.Text != "OK: 1 rows" || len(got.Rows) != 1 || got.Rows[0][0] != "12.5" {
			t.Fatalf("mycredit: %q %v", got.Text, got.Rows)
		}
		if got := ask(ctx, "usercount"); got.Text != "OK: 1" {
			t.Fatalf("usercount: %q", got.Text)
		}
	}
	if !engine.StmtPointRead(e.Table(), "mycredit") {
		t.Error("mycredit (by id) is not a point read")
	}
	if engine.StmtPointRead(e.Table(), "usercount") {
		t.Error("usercount (a scan) is a point read")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if got := ask(cancelled, "mycredit"); got.OK {
		t.Errorf("mycredit on a cancelled request: %q", got.Text)
	}
}
