package schema

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsConnectionFailure reports whether err (or an error it wraps) says that
// the server or the connection to it failed, rather than that the server
// refused the statement: the same statement may well succeed on another
// server. True for a failed dial (pgconn.ConnectError, connection refused
// or reset, a broken pipe, a net.Error), an end of stream in the middle of
// an answer (io.EOF, io.ErrUnexpectedEOF), driver.ErrBadConn, pgx's
// "conn closed", and the server's own words for going away: PostgreSQL
// SQLSTATE class 08 (connection exception), 57P01 admin_shutdown, 57P02
// crash_shutdown, 57P03 cannot_connect_now. False for every other answer
// of a server (a syntax error, a missing table, a read-only transaction),
// for a context that ended (the caller's time is up, whichever server),
// and for nil.
func IsConnectionFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed):
		return true
	}
	// pgconn answers a query on a connection it closed after a failure
	// with this text and no type of its own.
	return strings.Contains(err.Error(), "conn closed")
}
