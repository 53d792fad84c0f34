package schema

import (
	"context"
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// SQLiteConn is a connection of a SQLite pool opened by Open: the
// driver's connection, which it forwards to, plus the statements prepared
// on it by Prepared. database/sql hands a connection to one user at a time,
// so the statements need no lock; they are finalized when the pool closes
// the connection (before the driver frees it).
//
// It exists for mvapi's hot path: a query through database/sql's Stmt
// costs about 1.8 µs more per query than the driver's own prepared
// statement (database/sql's per-connection statement lookup, its Rows and
// their conversions), a tenth of a balance request.
type SQLiteConn struct {
	sqliteDriverConn
	stmts map[string]driver.Stmt
}

// sqliteDriverConn is what every connection modernc.org/sqlite opens
// implements; a wrapper must forward all of it (see sqlite.NewConnector),
// or database/sql falls back to the methods without a context.
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// MaxPreparedPerConn bounds the statements Prepared keeps on one
// connection: with thousands of customsql entries, each connection would
// otherwise hold every one of them.
const MaxPreparedPerConn = 256

// Prepared is query prepared on this connection, prepared on first use.
// The statement belongs to the connection: do not close it, and use it
// only while holding the connection ((*sql.Conn).Raw) and before the next
// call of Prepared (which may finalize it, or another one chosen at
// random, to keep the bound).
func (c *SQLiteConn) Prepared(ctx context.Context, query string) (driver.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.stmts) >= MaxPreparedPerConn {
		for q, old := range c.stmts { // one at random: more hot statements than the bound is rare
			old.Close()
			delete(c.stmts, q)
			break
		}
	}
	if c.stmts == nil {
		c.stmts = make(map[string]driver.Stmt)
	}
	c.stmts[query] = st
	return st, nil
}

// Close finalizes the prepared statements, then closes the connection.
func (c *SQLiteConn) Close() error {
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
	return c.sqliteDriverConn.Close()
}

// Unwrap is the driver's own connection (sqlite.Limit looks through a
// wrapper with it).
func (c *SQLiteConn) Unwrap() driver.Conn { return c.sqliteDriverConn }

// sqliteConnector opens the driver's connections and wraps each in a
// SQLiteConn.
type sqliteConnector struct{ base driver.Connector }

func newSQLiteConnector(dsn string) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sqliteConnector{base: base}, nil
}

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := dc.(sqliteDriverConn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("sqlite: the driver's connection (%T) lacks an interface mvapi forwards", dc)
	}
	return &SQLiteConn{sqliteDriverConn: full}, nil
}

func (c sqliteConnector) Driver() driver.Driver { return c.base.Driver() }
