package schema

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
	"modernc.org/sqlite"
)

// IsAmbiguousCommit reports whether err, returned by a transaction's
// Commit, leaves the outcome unknown: the COMMIT may or may not have taken
// effect on the server (the connection broke, timed out or was closed
// while the acknowledgement was on its way, as during a failover). An
// answer of the server itself (a PostgreSQL, SQL Server or SQLite error)
// means the transaction was rolled back, and sql.ErrTxDone means it was
// never committed: neither is ambiguous. Anything else — driver.ErrBadConn,
// io.EOF, a net.Error, pgconn's "conn closed", a context that expired
// during the COMMIT — is, because a client cannot tell whether the server
// got the COMMIT before the connection went.
func IsAmbiguousCommit(err error) bool {
	if err == nil || errors.Is(err, sql.ErrTxDone) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return false
	}
	var ms mssql.Error
	if errors.As(err, &ms) {
		return false
	}
	var msp *mssql.Error
	if errors.As(err, &msp) && msp != nil {
		return false
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return false
	}
	if errors.Is(err, context.Canceled) {
		// The client went away during COMMIT: still unknown, but nobody
		// is waiting for the answer; the engine treats it as cancelled.
		return false
	}
	return true
}
