package engine_test

import (
	"context"
	"net/netip"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
)

// A customsql SELECT run through database/sql (SQL Server; a readonly
// row, which may go to the read replica) is prepared on first use, kept
// while its row is unchanged, and closed when apireload swaps in a table
// without it; a request still holding the old table runs it unprepared.
// (The other rows run on SQLite on the statements prepared on each
// connection, see TestSQLiteRowsAnswerAsDatabaseSQL, and on pgx as text
// that pgx prepares and caches per connection.)
func TestCustomSQLPreparedLifecycle(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql, req_key, req_user, readonly) VALUES ('q1', 'SELECT 40 + 2', 0, 14, 1), ('q2', 'SELECT 7', 0, 14, 1)")
	e := mvtest.MustEngine(t, db, nil)
	ctx := context.Background()
	ask := func(entry string) string {
		req := engine.NewRequest([]wire.Param{{Name: "apientry", Value: entry}}, netip.MustParseAddr("203.0.113.1"), "internal")
		return e.Serve(ctx, req).Text
	}
	if got := ask("q1"); got != "OK: 42" {
		t.Fatalf("q1: %q", got)
	}
	ask("q2")
	old := e.Table()
	if p, c := engine.StmtState(old, "q1"); !p || c {
		t.Fatalf("after first use: prepared %v closed %v", p, c)
	}
	mvtest.MustExec(t, db, "UPDATE tb_api SET customsql = 'SELECT 43' WHERE fname = 'q1'")
	if _, err := e.ReloadTable(ctx); err != nil {
		t.Fatal(err)
	}
	if _, c := engine.StmtState(old, "q1"); !c {
		t.Error("the replaced entry's statement is still open")
	}
	if p, c := engine.StmtState(e.Table(), "q2"); !p || c {
		t.Errorf("unchanged q2: prepared %v closed %v, want kept", p, c)
	}
	if got := ask("q1"); got != "OK: 43" {
		t.Errorf("q1 after reload: %q", got)
	}
	en, _ := old.Lookup("q1")
	c := &engine.Call{Engine: e, Entry: en, Req: engine.NewRequest(nil, netip.Addr{}, "internal"), Config: e.Config()}
	if res, err := en.Handler(ctx, c); err != nil || res.Text != "OK: 42" {
		t.Errorf("old table's q1 after its statement closed: %q", res.Text)
	}
}
