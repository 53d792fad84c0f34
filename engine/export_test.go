package engine

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"mvapi/schema"
)

// CompileFull compiles tb_api from scratch, reusing nothing (for the
// reload benchmarks).
func (e *Engine) CompileFull(ctx context.Context) (*Table, error) {
	rows, err := loadRows(ctx, e.db, e.Table().Len())
	if err != nil {
		return nil, err
	}
	c := &compiler{reg: e.reg, actions: e.actions, dialect: e.db.Dialect, cfg: e.Config(), runSQL: e.sqlHandler}
	return c.compile(rows)
}

// Reused reports whether the entry called name is the same compiled value
// in both tables.
func Reused(a, b *Table, name string) bool {
	x, ok1 := a.Lookup(name)
	y, ok2 := b.Lookup(name)
	return ok1 && ok2 && x == y
}

// StmtState tells whether the entry's customsql is prepared and whether
// its statement was closed.
func StmtState(t *Table, name string) (prepared, closed bool) {
	e, ok := t.Lookup(name)
	if !ok || e.sqlStmt == nil {
		return false, false
	}
	e.sqlStmt.mu.RLock()
	defer e.sqlStmt.mu.RUnlock()
	return e.sqlStmt.stmt != nil, e.sqlStmt.closed
}

// StmtPointRead tells whether the entry's customsql runs as a point read
// (entryStmt.pointRead).
func StmtPointRead(t *Table, name string) bool {
	e, ok := t.Lookup(name)
	return ok && e.sqlStmt.pointRead()
}

// IsPointRead is isPointRead, for its table of plans.
var IsPointRead = isPointRead

// LeanUser is the user authentication reads for authid name (the lean
// columns, by username), for tests that compare it with UserByID.
func (e *Engine) LeanUser(ctx context.Context, name string) (*User, error) {
	return e.users.ByUsername(ctx, name, nil)
}

// LeanUserBy is the lean user by "username", "id" (as text) or "pin".
func (e *Engine) LeanUserBy(ctx context.Context, by, key string) (*User, error) {
	switch by {
	case "id":
		return e.users.ByID(ctx, key, nil)
	case "pin":
		return e.users.ByPIN(ctx, key, nil)
	}
	return e.users.ByUsername(ctx, key, nil)
}

// CompileAtStart compiles tb_api as a server does at start (no table in
// force: every row read and compiled, the row cache kept with the
// table), without checking statements against the database.
func (e *Engine) CompileAtStart(ctx context.Context) (*Table, error) {
	rows, cache, err := loadRowsCached(ctx, e.db, nil, nil)
	if err != nil {
		return nil, err
	}
	c := &compiler{reg: e.reg, actions: e.actions, dialect: e.db.Dialect, cfg: e.Config(), runSQL: e.sqlHandler}
	t, err := c.compile(rows)
	if t != nil {
		t.rows.Store(cache)
	}
	return t, err
}

// Incremental reports whether cur was built by the incremental reload
// from old (compileIncremental).
func Incremental(cur, old *Table) bool { return builtFrom(cur, old) }

// DiffAll is the Diff of old and cur computed name by name, as for two
// tables of full compiles.
func DiffAll(old, cur *Table) Diff { return diffAll(old, cur) }

// CompareTables describes the first difference between the entries of a
// and b in what a compile decides (every field but the compiled values'
// identity), "" when they agree; the row caches are compared too when
// both have one (ids, names and the highest marker: the marker of a row
// may lag behind in a's cache, see rowCache.apply, never run ahead).
func CompareTables(a, b *Table) string {
	if a.Len() != b.Len() {
		return fmt.Sprintf("%d entries, want %d", a.Len(), b.Len())
	}
	for name, x := range a.all {
		y, ok := b.Lookup(name)
		if !ok {
			return fmt.Sprintf("entry %q: not in the other table", name)
		}
		if d := compareEntries(x, y); d != "" {
			return fmt.Sprintf("entry %q: %s", name, d)
		}
	}
	ca, cb := a.rows.Load(), b.rows.Load()
	if ca != nil && cb != nil {
		if len(ca.rows) != len(cb.rows) {
			return fmt.Sprintf("row cache: %d rows, want %d", len(ca.rows), len(cb.rows))
		}
		for i := range ca.rows {
			x, y := ca.rows[i], cb.rows[i]
			xv, xok := parseMarker(x.ver)
			yv, yok := parseMarker(y.ver)
			if x.id != y.id || x.fname != y.fname || x.ver != y.ver && (!xok || !yok || xv > yv) {
				return fmt.Sprintf("row cache row %d: %+v, want %+v", i, ca.rows[i], cb.rows[i])
			}
		}
		if ca.top != cb.top || ca.grows != cb.grows {
			return fmt.Sprintf("row cache top %d grows %v, want %d %v", ca.top, ca.grows, cb.top, cb.grows)
		}
	}
	return ""
}

func compareEntries(x, y *Entry) string {
	type view struct {
		Name                         string
		Access                       Access
		Enabled                      bool
		Params                       []string
		NeedsUser, Builtin           bool
		SQL                          string
		Rule, OnSuccess, OnFailure   bool
		RowID                        int64
		Description                  string
		ReadOnly, Misconfigured      bool
		Fingerprint                  string
		RestUser, Prepared, HasStmts bool
	}
	v := func(e *Entry) view {
		w := view{Name: e.Name, Access: e.Access, Enabled: e.Enabled, Params: e.Params, NeedsUser: e.NeedsUser,
			Builtin: e.Builtin, Rule: e.Rule != nil, OnSuccess: e.OnSuccess != nil, OnFailure: e.OnFailure != nil,
			RowID: e.RowID, Description: e.Description, ReadOnly: e.ReadOnly, Misconfigured: e.Misconfigured,
			Fingerprint: fmt.Sprintf("%x", e.fingerprint), RestUser: e.restUser, HasStmts: e.sqlStmt != nil}
		if e.SQL != nil {
			w.SQL = fmt.Sprintf("%s %+v %v %v %v %d", e.SQL.SQL(), e.SQL.Keys(), e.SQL.Sync(), e.SQL.ReturnsRows(), e.SQL.ReadOnly(), len(e.SQL.Statements()))
		}
		return w
	}
	a, b := v(x), v(y)
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%+v, want %+v", a, b)
	}
	return ""
}

// NameHint is the id ByUsername would read name's row by (userhint.go),
// and whether it has one; never one where the dialect keeps no hints.
func (e *Engine) NameHint(name string) (int64, bool) {
	if e.users.hints == nil {
		return 0, false
	}
	return e.users.hints.get(name)
}

// SetParallelRows sets how many rows to compile make compile use every
// processor (compileRows), until the test ends.
func SetParallelRows(t testing.TB, n int) {
	old := parallelRows
	parallelRows = n
	t.Cleanup(func() { parallelRows = old })
}

// Describe is what t compiled, by entry name: each entry's row, access,
// statement, parameters and whether it is misconfigured, as text to
// compare two tables by.
func Describe(t *Table) map[string]string {
	out := make(map[string]string, t.Len())
	for name, e := range t.all {
		sql := ""
		if e.SQL != nil {
			sql = e.SQL.SQL()
		}
		out[name] = fmt.Sprintf("row=%d enabled=%v misconfigured=%v builtin=%v access=%+v params=%v rule=%v prepared=%v sql=%q",
			e.RowID, e.Enabled, e.Misconfigured, e.Builtin, e.Access, e.Params, e.Rule != nil, e.sqlStmt != nil, sql)
	}
	return out
}

// SetMaxOverlay sets how many changed names an incremental table holds on
// top of shared entries before it merges them (overlay.build), until the
// test ends.
func SetMaxOverlay(t testing.TB, n int) {
	old := maxOverlay
	maxOverlay = n
	t.Cleanup(func() { maxOverlay = old })
}

// Overlaid is how many names t holds on top of the entries it shares.
func Overlaid(t *Table) int { return len(t.over) }

// AnswerRows and QueryDriverRows are customsql's two ways to read a
// SELECT's rows (through database/sql, and on the driver's own rows).
var (
	AnswerRows      = answerRows
	QueryDriverRows = queryDriverRows
	QuerySQLiteRows = querySQLiteRows
)

// LookupScan prepares query (one ? argument) as the user store does and
// scans its row into dest with lookupStmt.Scan.
func LookupScan(ctx context.Context, db *schema.DB, query string, arg any, dest ...any) error {
	l, err := prepareLookup(ctx, db, query)
	if err != nil {
		return err
	}
	defer l.Close()
	return l.Scan(ctx, arg, dest...)
}
