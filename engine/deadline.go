package engine

import (
	"context"
	"sync"
	"time"
)

// reqCtx is a request's context under requesttimeout without a timer per
// request: Deadline and Err answer from the deadline at once, and the
// timer (a context.WithDeadline child of the parent) is made only when
// something watches Done (a driver watching for cancellation, a derived
// context). The SQLite user lookup and the built-ins never do, so most
// requests make none. It lives inside the Call (no allocation of its own);
// stop, at the end of the request, cancels it as the deferred cancel of
// context.WithTimeout did.
type reqCtx struct {
	parent   context.Context
	deadline time.Time

	mu      sync.Mutex
	child   context.Context // nil until Done, AfterFunc or stop
	cancel  context.CancelFunc
	stopped bool
}

var _ context.Context = (*reqCtx)(nil)

func (c *reqCtx) init(parent context.Context, deadline time.Time) {
	c.parent, c.deadline = parent, deadline
	if dl, ok := parent.Deadline(); ok && dl.Before(deadline) {
		c.deadline = dl
	}
}

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

// stop ends the request: like the cancel of context.WithTimeout.
func (c *reqCtx) stop() {
	c.mu.Lock()
	c.stopped = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (c *reqCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *reqCtx) Done() <-chan struct{} { return c.started().Done() }

func (c *reqCtx) Err() error {
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

// Value answers from the child once made, so that contexts derived from
// this one find its cancelCtx (and register with it instead of starting
// a goroutine each), and context.Cause sees the deadline.
func (c *reqCtx) Value(key any) any {
	if child, _ := c.current(); child != nil {
		return child.Value(key)
	}
	return c.parent.Value(key)
}

// AfterFunc lets context.AfterFunc and derived contexts hook the deadline
// without a goroutine.
func (c *reqCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.started(), f) }
