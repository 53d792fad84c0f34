package engine

import "context"

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
	x, ok1 := a.entries[name]
	y, ok2 := b.entries[name]
	return ok1 && ok2 && x == y
}

// StmtState tells whether the entry's customsql is prepared and whether
// its statement was closed.
func StmtState(t *Table, name string) (prepared, closed bool) {
	e, ok := t.entries[name]
	if !ok || e.sqlStmt == nil {
		return false, false
	}
	e.sqlStmt.mu.RLock()
	defer e.sqlStmt.mu.RUnlock()
	return e.sqlStmt.stmt != nil, e.sqlStmt.closed
}

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
