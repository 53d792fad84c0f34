package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"mvapi/schema"
)

// lookupStmt is one statement of the user store: prepared once on
// databases where mvapi prepares its own statements (SQLite, see
// schema.Dialect.PrepareStatements), else run as text on the pool, so that
// no named statement of mvapi's own lives on a PostgreSQL session (a
// transaction pooler such as pgbouncer would hand it to another client;
// pgx caches the statement per connection itself). Where the driver's
// connections are pgx's (schema.Dialect.NativeRows), Scan runs the query
// through pgx's native interface on a connection of the same pool.
type lookupStmt struct {
	st     *sql.Stmt
	db     *sql.DB
	query  string
	native bool
}

func prepareLookup(ctx context.Context, db *schema.DB, query string) (*lookupStmt, error) {
	l := &lookupStmt{db: db.DB.DB, query: query, native: db.Dialect.NativeRows()}
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

// Scan runs the statement with one argument and scans its one row into
// dest, as QueryRowContext(ctx, arg).Scan(dest...) does (sql.ErrNoRows
// when there is none), through pgx's native interface where the dialect
// has it.
func (l *lookupStmt) Scan(ctx context.Context, arg any, dest ...any) error {
	if !l.native {
		return l.QueryRowContext(ctx, arg).Scan(dest...)
	}
	return onDriverConn(ctx, l.db, func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("native row scan: the driver connection is a %T, not pgx's", dc)
		}
		if c.Conn().IsClosed() {
			return driver.ErrBadConn
		}
		// pgx.ErrNoRows wraps sql.ErrNoRows.
		err := c.Conn().QueryRow(ctx, l.query, arg).Scan(dest...)
		if err != nil && pgconn.SafeToRetry(err) {
			return driver.ErrBadConn // nothing was sent: as pgx's stdlib says
		}
		return err
	})
}

// onDriverConn runs f on a driver connection of db's pool
// ((*sql.Conn).Raw). When f answers driver.ErrBadConn (the connection
// was found closed, or nothing was sent) the connection is dropped and f
// runs again on another, three times in all, as database/sql retries.
func onDriverConn(ctx context.Context, db *sql.DB, f func(dc any) error) error {
	var err error
	for range 3 {
		if err = onDriverConnOnce(ctx, db, f); !errors.Is(err, driver.ErrBadConn) {
			return err
		}
	}
	return err
}

func onDriverConnOnce(ctx context.Context, db *sql.DB, f func(dc any) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	err = conn.Raw(f) // ErrBadConn: conn.Close drops the connection from the pool
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close closes the prepared statement, if any.
func (l *lookupStmt) Close() error {
	if l.st != nil {
		return l.st.Close()
	}
	return nil
}
