package engine

import (
	"context"
	"database/sql"
	"sync"
)

// entryStmt is the prepared statement of a compiled customsql entry that
// returns rows: prepared on first use against the engine's pool (which
// prepares it again on each connection as needed) and closed when the
// table that owns the entry is swapped out for one without it. A request
// still running on the old table then runs its statement unprepared.
type entryStmt struct {
	mu     sync.RWMutex
	stmt   *sql.Stmt
	failed bool // the database would not prepare it: run unprepared
	closed bool
}

// query runs the statement prepared (preparing it the first time), or
// unprepared when it cannot be prepared or was closed.
func (s *entryStmt) query(ctx context.Context, db *sql.DB, query string, args []any) (*sql.Rows, error) {
	if s == nil {
		return db.QueryContext(ctx, query, args...)
	}
	s.mu.RLock()
	st, skip := s.stmt, s.failed || s.closed
	if st != nil && !skip {
		rows, err := st.QueryContext(ctx, args...)
		s.mu.RUnlock()
		return rows, err
	}
	s.mu.RUnlock()
	if !skip {
		s.mu.Lock()
		if s.stmt == nil && !s.failed && !s.closed {
			if p, err := db.PrepareContext(ctx, query); err == nil {
				s.stmt = p
			} else if ctx.Err() == nil {
				s.failed = true // its own error comes from the unprepared run
			}
		}
		s.mu.Unlock()
		return s.query(ctx, db, query, args)
	}
	return db.QueryContext(ctx, query, args...)
}

func (s *entryStmt) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stmt != nil {
		s.stmt.Close()
		s.stmt = nil
	}
	s.closed = true
}

// closeReplaced closes the statements of old's entries that cur does not
// carry over.
func closeReplaced(old, cur *Table) {
	if old == nil {
		return
	}
	if builtFrom(cur, old) { // only the names cur touched can differ
		for _, name := range cur.touched {
			if e, _ := old.Lookup(name); e != nil && e.sqlStmt != nil && !cur.holds(name, e) {
				e.sqlStmt.close()
			}
		}
		return
	}
	for name, e := range old.all {
		if e.sqlStmt != nil && !cur.holds(name, e) {
			e.sqlStmt.close()
		}
	}
}
