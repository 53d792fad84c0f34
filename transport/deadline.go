package transport

import (
	"net"
	"sync"
	"time"
)

// deadlineConn is a connection whose deadlines cost a mutex rather than a
// change to the runtime's timers. net/http moves the read deadline three
// times and the write deadline once for every request on a keep-alive
// connection (the header timeout, the whole request's, the idle timeout,
// the write timeout), each to a later time than the one before; on the
// underlying connection each of those re-files a runtime timer.
//
// Here a deadline in the future is only written down, and one timer per
// direction fires no later than the earliest deadline not yet passed. When
// it fires it looks at the deadline as it is then: passed, the underlying
// connection gets it, and the blocked Read or Write returns the usual
// timeout error at the same moment as it would have; moved later, the
// timer is set again for then. A deadline already passed (net/http's way
// to interrupt its background read) and the clearing of one that fired go
// to the underlying connection at once.
type deadlineConn struct {
	net.Conn
	mu          sync.Mutex
	read, write deadlineSide
}

// deadlineSide is one direction's deadline.
type deadlineSide struct {
	at      time.Time   // the deadline asked for; zero for none
	timer   *time.Timer // nil until a deadline in the future is first set
	armed   time.Time   // when timer fires; zero when it is not pending
	tripped bool        // the underlying connection holds a passed deadline
	// underlying is the connection's SetReadDeadline or SetWriteDeadline.
	underlying func(time.Time) error
}

func newDeadlineConn(c net.Conn) *deadlineConn {
	d := &deadlineConn{Conn: c}
	d.read.underlying = c.SetReadDeadline
	d.write.underlying = c.SetWriteDeadline
	return d
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error  { return c.set(&c.read, t) }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { return c.set(&c.write, t) }

func (c *deadlineConn) SetDeadline(t time.Time) error {
	err := c.set(&c.read, t)
	if werr := c.set(&c.write, t); err == nil {
		err = werr
	}
	return err
}

// Close closes the connection and stops its timers.
func (c *deadlineConn) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	for _, s := range [2]*deadlineSide{&c.read, &c.write} {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.at, s.armed = time.Time{}, time.Time{}
	}
	c.mu.Unlock()
	return err
}

func (c *deadlineConn) set(s *deadlineSide, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.at = t
	if t.IsZero() {
		return s.clear()
	}
	wait := time.Until(t)
	if wait <= 0 {
		s.tripped = true
		return s.underlying(t)
	}
	err := s.clear()
	if s.armed.IsZero() || t.Before(s.armed) {
		c.arm(s, wait)
	}
	return err
}

// clear takes a passed deadline off the underlying connection.
func (s *deadlineSide) clear() error {
	if !s.tripped {
		return nil
	}
	s.tripped = false
	return s.underlying(time.Time{})
}

// arm makes s's timer fire after wait, at s.at. c.mu is held.
func (c *deadlineConn) arm(s *deadlineSide, wait time.Duration) {
	if s.timer == nil {
		s.timer = time.AfterFunc(wait, func() { c.expire(s) })
	} else {
		s.timer.Reset(wait)
	}
	s.armed = s.at
}

// expire runs when s's timer fires.
func (c *deadlineConn) expire(s *deadlineSide) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.armed = time.Time{}
	if s.at.IsZero() || s.tripped {
		return
	}
	if wait := time.Until(s.at); wait > 0 {
		c.arm(s, wait) // moved later since the timer was set
		return
	}
	s.tripped = true
	s.underlying(s.at)
}
