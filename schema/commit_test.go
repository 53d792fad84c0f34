package schema_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"mvapi/schema"
)

// TestIsAmbiguousCommit: a broken connection during COMMIT leaves the
// outcome unknown; an answer of the server or a finished transaction does not.
func TestIsAmbiguousCommit(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{sql.ErrTxDone, false},
		{&pgconn.PgError{Code: "40001"}, false},
		{fmt.Errorf("commit: %w", &pgconn.PgError{Code: "23505"}), false},
		{context.Canceled, false},
		{driver.ErrBadConn, true},
		{io.EOF, true},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("commit: %w", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}), true},
		{errors.New("conn closed"), true},
		{context.DeadlineExceeded, true},
	} {
		if got := schema.IsAmbiguousCommit(c.err); got != c.want {
			t.Errorf("IsAmbiguousCommit(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
