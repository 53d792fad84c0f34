package engine

import (
	"context"
	"errors"
	"fmt"

	"mvapi/engine/format"
)

// Outcomes, wtf-style (benbjohnson/wtf error.go). A handler reports:
//
//	a success                 return OK("..."), nil (or Shaped)
//	bad input (KindInvalid)   return Errorf("bad amount ..."), nil
//	another kind              return Failf(KindNotFound, "..."), nil, or
//	                          return format.Result{}, Fail(KindNotFound, "...")
//	no user                   Builtin.NeedsUser, or return format.Result{}, ErrNeedsUser
//	an unexpected error       return format.Result{}, err
//	one with its own answer   return format.Result{}, &Error{Kind: KindInternal, Message: "...", Err: err}
//
// Serve turns an error into the answer in one place (Engine.failure):
//
//	*Error (Fail)             "ERROR: " + Message, with its Kind
//	context.Canceled          KindCanceled (also wrapped, or any error once the
//	                          request's context is cancelled): logged at debug
//	                          level only, not counted as a failed request
//	any other error           KindInternal: logged once with entry and request id,
//	                          answered "ERROR: internal error, try again later"
//
// context.DeadlineExceeded (requesttimeout, sqltimeout) is internal: the
// operator wants to see it. The lockout counts KindAuth answers only.

// Kind says what sort of outcome an answer is; see format.Kind.
type Kind = format.Kind

// The kinds of outcome (format.Kind documents each).
const (
	KindNone         = format.KindNone
	KindAuth         = format.KindAuth
	KindDenied       = format.KindDenied
	KindInvalid      = format.KindInvalid
	KindNotFound     = format.KindNotFound
	KindNotSupported = format.KindNotSupported
	KindBusy         = format.KindBusy
	KindUnavailable  = format.KindUnavailable
	KindInternal     = format.KindInternal
	KindCanceled     = format.KindCanceled
	KindRateLimited  = format.KindRateLimited
)

// msgInternal is the answer to an internal error; the detail is logged.
const msgInternal = "internal error, try again later"

// ErrNeedsUser is the answer to a call without a user of an entry that
// needs one (Builtin.NeedsUser; a handler whose need depends on the call
// returns it itself).
var ErrNeedsUser error = &Error{Kind: KindInvalid, Message: "this entry needs a user: send authid"}

// Error is a failure with a kind and a message for the client, which Serve
// answers as "ERROR: " + Message. Err is an optional cause for the log: an
// Error of KindInternal is logged with it, and Err is never answered.
type Error struct {
	Kind    Kind
	Message string
	Err     error
	// RetryAfter is the seconds a rate-limited client should wait.
	RetryAfter int
}

// Error returns the message, with the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Fail returns an *Error of kind whose message is formatted like
// fmt.Sprintf; a handler returns it as its error, or Failf's Result.
func Fail(kind Kind, f string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(f, args...)}
}

// ErrorKind returns the kind of err: KindNone for nil, KindCanceled when
// err is or wraps context.Canceled, the Kind of an *Error in its chain, and
// KindInternal for anything else.
func ErrorKind(err error) Kind {
	if err == nil {
		return KindNone
	}
	if errors.Is(err, context.Canceled) {
		return KindCanceled
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrorMessage returns the client text of err (without "ERROR: "): the
// Message of an *Error in its chain, else the generic internal answer.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindCanceled {
		return e.Message
	}
	return msgInternal
}
