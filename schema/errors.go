package schema

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsUniqueViolation reports whether err (or an error it wraps) is a
// database's refusal of a duplicate key, read from the driver's typed
// error: PostgreSQL SQLSTATE 23505, SQL Server error 2627 (unique or
// primary key constraint) or 2601 (unique index), SQLite
// SQLITE_CONSTRAINT_UNIQUE or SQLITE_CONSTRAINT_PRIMARYKEY. Any other
// error, including other constraint violations, is not.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var ms mssql.Error
	if errors.As(err, &ms) {
		return ms.Number == 2627 || ms.Number == 2601
	}
	var msp *mssql.Error
	if errors.As(err, &msp) && msp != nil {
		return msp.Number == 2627 || msp.Number == 2601
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		c := lite.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
