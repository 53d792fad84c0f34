package schema_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"mvapi/schema"
)

// TestIsConnectionFailure: a server or connection that failed is told
// apart from a server that refused the statement and from a caller whose
// time ran out.
func TestIsConnectionFailure(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{sql.ErrNoRows, false},
		{errors.New("sql: Scan error on column index 0"), false},
		{&pgconn.PgError{Code: "42P01"}, false},                          // undefined table
		{fmt.Errorf("query: %w", &pgconn.PgError{Code: "25006"}), false}, // read-only transaction
		{&pgconn.PgError{Code: "57014"}, false},                          // statement timeout
		{context.Canceled, false},                                        // the client went away
		{fmt.Errorf("read: %w", context.DeadlineExceeded), false},        // the request's time is up
		{&pgconn.PgError{Code: "57P01"}, true},                           // admin shutdown
		{fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P02"}), true},  // crash shutdown
		{&pgconn.PgError{Code: "57P03"}, true},                           // starting up
		{&pgconn.PgError{Code: "08006"}, true},                           // connection failure
		{driver.ErrBadConn, true},                                        // database/sql gave up on its connections
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},              // server gone mid-answer
		{io.EOF, true}, //
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},        // nobody listens
		{fmt.Errorf("x: %w", &net.OpError{Op: "read", Err: syscall.ECONNRESET}), true}, // reset
		{errors.New("conn closed"), true},                                              // pgx after a failure
	} {
		if got := schema.IsConnectionFailure(c.err); got != c.want {
			t.Errorf("IsConnectionFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
