package engine

import (
	"context"
	"sync"
	"time"

	"mvapi/internal/logging"
)

// reqCtx is a request's context: it carries the request id for the log
// (logging.RequestID, without a context.WithValue of its own) and, under
// requesttimeout, the request's deadline without a timer per request:
// Deadline and Err answer from the deadline at once, and the timer (a
// context.WithDeadline child of the parent) is made only when something
// watches Done (a driver watching for cancellation, a derived context).
// The SQLite user lookup and the built-ins never do, so most requests make
// none. Without requesttimeout (a zero deadline) Deadline, Done and Err are
// the parent's. It lives inside the Call (no allocation of its own); stop,
// at the end of the request, cancels it as the deferred cancel of
// context.WithTimeout did.
type reqCtx struct {
	parent   context.Context
	deadline time.Time // zero: no requesttimeout
	id       *string   // the request id (Request.ID)

	mu      sync.Mutex
	child   context.Context // nil until Done, AfterFunc or stop
	cancel  context.CancelFunc
	stopped bool
}

var _ context.Context = (*reqCtx)(nil)

// init starts the request's context under parent: with the deadline
// timeout from now (or the parent's, when sooner) when timeout > 0.
func (c *reqCtx) init(parent context.Context, id *string, timeout time.Duration) {
	c.parent, c.id = parent, id
	if timeout <= 0 {
		return
	}
	c.deadline = time.Now().Add(timeout)
	if dl, ok := parent.Deadline(); ok && dl.Before(c.deadline) {
		c.deadline = dl
	}
}

// timed reports whether the request runs under requesttimeout.
func (c *reqCtx) timed() bool { return !c.deadline.IsZero() }

// started returns the child, making it unless stop came first.
func (c *reqCtx) started() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.child == nil {
		if c.stopped {
			ctx, cancel := context.WithCancel(c.parent)
			cancel()
			c.child = ctx
		} else {
			c.child, c.cancel = context.WithDeadline(c.parent, c.deadline)
		}
	}
	return c.child
}

func (c *reqCtx) current() (context.Context, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.child, c.stopped
}

// stop ends the request: like the cancel of context.WithTimeout. Without
// requesttimeout there is nothing to cancel (the parent's cancellation is
// the only one).
func (c *reqCtx) stop() {
	if !c.timed() {
		return
	}
	c.mu.Lock()
	c.stopped = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (c *reqCtx) Deadline() (time.Time, bool) {
	if !c.timed() {
		return c.parent.Deadline()
	}
	return c.deadline, true
}

func (c *reqCtx) Done() <-chan struct{} {
	if !c.timed() {
		return c.parent.Done()
	}
	return c.started().Done()
}

func (c *reqCtx) Err() error {
	if !c.timed() {
		return c.parent.Err()
	}
	child, stopped := c.current()
	switch {
	case child != nil:
		return child.Err()
	case stopped:
		return context.Canceled
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value answers the request id itself, and otherwise from the child once
// made, so that contexts derived from this one find its cancelCtx (and
// register with it instead of starting a goroutine each), and
// context.Cause sees the deadline.
func (c *reqCtx) Value(key any) any {
	if key == logging.RequestIDKey {
		return c.id
	}
	if !c.timed() {
		return c.parent.Value(key)
	}
	if child, _ := c.current(); child != nil {
		return child.Value(key)
	}
	return c.parent.Value(key)
}

// AfterFunc lets context.AfterFunc and derived contexts hook the deadline
// without a goroutine.
func (c *reqCtx) AfterFunc(f func()) func() bool {
	if !c.timed() {
		return context.AfterFunc(c.parent, f)
	}
	return context.AfterFunc(c.started(), f)
}
