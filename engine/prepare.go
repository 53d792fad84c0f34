package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

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
//
// On SQLite, Scan runs the statement prepared on the driver's connection
// itself (schema.SQLiteConn.Prepared), leaving out database/sql's Stmt and
// Rows.
type lookupStmt struct {
	st     *sql.Stmt
	db     *sql.DB
	query  string
	native bool
	sqlite bool
}

func prepareLookup(ctx context.Context, db *schema.DB, query string) (*lookupStmt, error) {
	l := &lookupStmt{db: db.DB.DB, query: query, native: db.Dialect.NativeRows(), sqlite: db.Dialect == schema.SQLite}
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
	if l.sqlite {
		return l.scanSQLite(ctx, arg, dest)
	}
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

// scanSQLite is Scan on a SQLite connection's own prepared statement.
func (l *lookupStmt) scanSQLite(ctx context.Context, arg any, dest []any) error {
	return onDriverConn(ctx, l.db, func(dc any) error {
		rows, err := querySQLite(ctx, dc, l.query, []any{arg})
		if err != nil {
			return err
		}
		return scanDriverRow(rows, dest)
	})
}

// querySQLite runs query with args on dc, a connection of a SQLite pool
// (schema.SQLiteConn), through the statement prepared on it. The
// arguments are converted as database/sql converts them for this driver
// (driver.DefaultParameterConverter: a driver.Valuer's value, an int as
// int64, ...).
func querySQLite(ctx context.Context, dc any, query string, args []any) (driver.Rows, error) {
	c, ok := dc.(*schema.SQLiteConn)
	if !ok {
		return nil, fmt.Errorf("sqlite query: the driver connection is a %T, not schema.SQLiteConn", dc)
	}
	st, err := c.Prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	q, ok := st.(driver.StmtQueryContext)
	if !ok {
		return nil, fmt.Errorf("sqlite query: the driver statement is a %T, without QueryContext", st)
	}
	var small [4]driver.NamedValue
	named := small[:0]
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("sqlite query: argument %d: %w", i+1, err)
		}
		named = append(named, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return q.QueryContext(ctx, named)
}

// scanDriverRow reads the first row of rows into dest, as
// (*sql.Row).Scan does (sql.ErrNoRows when there is none), and closes
// rows.
func scanDriverRow(rows driver.Rows, dest []any) (err error) {
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	if n := len(rows.Columns()); n != len(dest) {
		return fmt.Errorf("sql: expected %d destination arguments in Scan, not %d", n, len(dest))
	}
	var small [12]driver.Value
	vals := small[:len(dest)]
	if len(dest) > len(small) {
		vals = make([]driver.Value, len(dest))
	}
	switch err := rows.Next(vals); {
	case errors.Is(err, io.EOF):
		return sql.ErrNoRows
	case err != nil:
		return err
	}
	for i, v := range vals {
		if err := assignValue(dest[i], v); err != nil {
			return fmt.Errorf("sql: Scan error on column index %d: %w", i, err)
		}
	}
	return nil
}

// assignValue stores a driver's value into dest (*string, *float64,
// *int64 or *int) with database/sql's conversions: a value of dest's type
// as it is, others through sql.Null's Scan, and NULL as an error.
func assignValue(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case *string:
		return assignAs(d, v)
	case *float64:
		return assignAs(d, v)
	case *int64:
		return assignAs(d, v)
	case *int:
		return assignAs(d, v)
	}
	return fmt.Errorf("scan into %T is not supported here (use *string, *float64, *int64 or *int)", dest)
}

func assignAs[T any](d *T, v driver.Value) error {
	if x, ok := v.(T); ok {
		*d = x
		return nil
	}
	var n sql.Null[T]
	if err := n.Scan(v); err != nil {
		return err
	}
	if !n.Valid {
		return fmt.Errorf("converting NULL to %T is unsupported", *d)
	}
	*d = n.V
	return nil
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
