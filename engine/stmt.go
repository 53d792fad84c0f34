package engine

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// entryStmt is the prepared statement of a compiled customsql entry that
// returns rows: prepared on first use against the engine's pool (which
// prepares it again on each connection as needed) and closed when the
// table that owns the entry is swapped out for one without it. A request
// still running on the old table then runs its statement unprepared.
//
// On an in-process database (SQLite) a statement whose plan is a point
// read runs without a watcher on the request's context, as the user
// lookup does (userStore.lookupCtx): database/sql and the driver would
// each start a goroutine per query for it, which costs about as much as
// the read itself. See pointRead.
type entryStmt struct {
	// inProcess: the database runs in this process; check the plan.
	inProcess bool
	// point: the plan is a point read (set once prepared).
	point atomic.Bool

	mu     sync.RWMutex
	stmt   *sql.Stmt
	failed bool // the database would not prepare it: run unprepared
	closed bool
	// planned: point holds the plan's answer (checkPlan).
	planned atomic.Bool
}

// pointRead reports whether the statement runs without a watcher on the
// request's context (and so without sqltimeout's deadline): a point read
// finishes in microseconds.
func (s *entryStmt) pointRead() bool { return s != nil && s.point.Load() }

// checkPlan reads, once, whether the statement is a point read, for a
// statement run on SQLite's own prepared statements (querySQLiteRows)
// rather than by query.
func (s *entryStmt) checkPlan(ctx context.Context, db *sql.DB, query string, nargs int) {
	if s == nil || !s.inProcess || s.planned.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.planned.Load() && ctx.Err() == nil {
		s.point.Store(isPointRead(ctx, db, query, nargs))
		s.planned.Store(true)
	}
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
		if s.point.Load() {
			if err := ctx.Err(); err != nil { // a request already cancelled still fails
				s.mu.RUnlock()
				return nil, err
			}
			ctx = context.Background()
		}
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
				if s.inProcess {
					s.point.Store(isPointRead(ctx, db, query, len(args)))
				}
			} else if ctx.Err() == nil {
				s.failed = true // its own error comes from the unprepared run
			}
		}
		s.mu.Unlock()
		return s.query(ctx, db, query, args)
	}
	return db.QueryContext(ctx, query, args...)
}

// Lines of SQLite's EXPLAIN QUERY PLAN that read at most one row: by the
// rowid, or by a unique index (uniqueIndex checks the index and the
// number of terms).
var (
	rowidSearch = regexp.MustCompile(`^SEARCH \S+ USING INTEGER PRIMARY KEY \(rowid=\?\)$`)
	indexSearch = regexp.MustCompile(`^SEARCH \S+ USING (?:COVERING )?INDEX (\S+) \((\w+=\?(?: AND \w+=\?)*)\)$`)
)

// isPointRead reports whether SQLite's plan for query reads each table
// by its rowid or by equality on every column of a unique index, so that
// it reads at most one row of each per value the statement names (an IN
// list of literals shows as one equality): no scan, sort, subquery or
// compound (EXPLAIN QUERY PLAN names those on lines of their own, which
// fail the check), and at least one table (a SELECT of expressions alone
// may call a slow function). The plan is read once, when the statement is
// prepared; an index dropped later counts until apireload prepares it
// again. Any error, or a plan line it does not know, answers false: the
// statement keeps its watcher.
func isPointRead(ctx context.Context, db *sql.DB, query string, nargs int) bool {
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, make([]any, nargs)...)
	if err != nil {
		return false
	}
	var details []string
	for rows.Next() {
		var id, parent, unused int64
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			rows.Close()
			return false
		}
		details = append(details, detail)
	}
	if rows.Close() != nil || rows.Err() != nil || len(details) == 0 {
		return false
	}
	for _, d := range details {
		switch m := indexSearch.FindStringSubmatch(d); {
		case rowidSearch.MatchString(d):
		case m != nil && uniqueIndex(ctx, db, m[1], strings.Count(m[2], "=?")):
		default:
			return false
		}
	}
	return true
}

// uniqueIndex reports whether SQLite's index name is unique over exactly
// terms columns.
func uniqueIndex(ctx context.Context, db *sql.DB, name string, terms int) bool {
	var unique, cols int
	err := db.QueryRowContext(ctx, `SELECT il."unique", (SELECT COUNT(*) FROM pragma_index_info(il.name))
 FROM sqlite_master m, pragma_index_list(m.tbl_name) il WHERE m.type = 'index' AND m.name = ? AND il.name = m.name`, name).Scan(&unique, &cols)
	return err == nil && unique == 1 && cols == terms
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
