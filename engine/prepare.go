package engine

import (
	"context"
	"database/sql"

	"mvapi/schema"
)

// lookupStmt is one statement of the user store: prepared once on
// databases where mvapi prepares its own statements (SQLite, see
// schema.Dialect.PrepareStatements), else run as text on the pool, so that
// no named statement of mvapi's own lives on a PostgreSQL session (a
// transaction pooler such as pgbouncer would hand it to another client;
// pgx caches the statement per connection itself).
type lookupStmt struct {
	st    *sql.Stmt
	db    *sql.DB
	query string
}

func prepareLookup(ctx context.Context, db *schema.DB, query string) (*lookupStmt, error) {
	l := &lookupStmt{db: db.DB.DB, query: query}
	if !db.Dialect.PrepareStatements() {
		return l, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	l.st = st
	return l, nil
}

// QueryRowContext runs the statement for one row.
func (l *lookupStmt) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	if l.st != nil {
		return l.st.QueryRowContext(ctx, args...)
	}
	return l.db.QueryRowContext(ctx, l.query, args...)
}

// Close closes the prepared statement, if any.
func (l *lookupStmt) Close() error {
	if l.st != nil {
		return l.st.Close()
	}
	return nil
}
