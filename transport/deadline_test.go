package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

// tcpPair returns the two ends of a loopback TCP connection, the server's
// end wrapped in a deadlineConn.
func tcpPair(t *testing.T) (client net.Conn, server *deadlineConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server = newDeadlineConn(raw)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// readTimesOut reads from c and wants a timeout no sooner than after
// least and no later than after 10 s (a loaded machine is slow, never
// early).
func readTimesOut(t *testing.T, c net.Conn, start time.Time, least time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v, want the deadline's timeout", err)
		}
		if took := time.Since(start); took < least {
			t.Fatalf("read timed out after %v, before the deadline (%v)", took, least)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("read still blocked 10 s after a deadline")
	}
}

func TestDeadlineConn(t *testing.T) {
	const d = 150 * time.Millisecond
	cases := []struct {
		name string
		// set moves the deadlines and returns how long the read must
		// block at least.
		set func(c *deadlineConn, start time.Time) time.Duration
	}{
		{"a deadline in the future", func(c *deadlineConn, start time.Time) time.Duration {
			c.SetReadDeadline(start.Add(d))
			return d
		}},
		{"moved later, as net/http does on every request", func(c *deadlineConn, start time.Time) time.Duration {
			c.SetReadDeadline(start.Add(d / 3))
			c.SetReadDeadline(start.Add(d / 2))
			c.SetReadDeadline(start.Add(2 * d))
			return 2 * d
		}},
		{"moved earlier", func(c *deadlineConn, start time.Time) time.Duration {
			c.SetReadDeadline(start.Add(time.Hour))
			c.SetReadDeadline(start.Add(d))
			return d
		}},
		{"set through SetDeadline", func(c *deadlineConn, start time.Time) time.Duration {
			c.SetDeadline(start.Add(d))
			return d
		}},
		{"cleared, then set again", func(c *deadlineConn, start time.Time) time.Duration {
			c.SetReadDeadline(start.Add(d / 3))
			c.SetReadDeadline(time.Time{})
			time.Sleep(d / 2) // the first timer fires and finds no deadline
			c.SetReadDeadline(start.Add(d))
			return d
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := tcpPair(t)
			start := time.Now()
			readTimesOut(t, c, start, tc.set(c, start))
		})
	}
}

// A deadline already passed interrupts a blocked read at once (net/http's
// abortPendingRead), and clearing it lets the connection read again.
func TestDeadlineConnPassedInterruptsAndClears(t *testing.T) {
	client, c := tcpPair(t)
	c.SetReadDeadline(time.Now().Add(time.Hour))
	go func() {
		time.Sleep(50 * time.Millisecond)
		c.SetReadDeadline(time.Unix(1, 0))
	}()
	readTimesOut(t, c, time.Now(), 0)

	c.SetReadDeadline(time.Time{})
	io.WriteString(client, "x")
	b := make([]byte, 1)
	c.Conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // bound the test, not part of it
	if _, err := c.Read(b); err != nil || b[0] != 'x' {
		t.Fatalf("read after clearing the deadline: %q, %v", b, err)
	}
}

// A write deadline ends a write the peer does not read.
func TestDeadlineConnWrite(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	c := newDeadlineConn(server)
	defer c.Close()
	start := time.Now()
	c.SetWriteDeadline(start.Add(100 * time.Millisecond))
	_, err := c.Write([]byte("nobody reads this"))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write: %v, want the deadline's timeout", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("write timed out after %v, before its deadline", took)
	}
}

// Through the shared port, the HTTP server's header timeout still ends a
// client that sends half a request, and the idle timeout one that stops
// after a request.
func TestSharedPortHTTPTimeouts(t *testing.T) {
	db := mvtest.MustDB(t)
	e := mvtest.MustEngine(t, db, nil)
	s := &Shared{Engine: e}
	srv := NewServer(&HTTP{Engine: e})
	srv.ReadHeaderTimeout = 300 * time.Millisecond
	srv.IdleTimeout = 300 * time.Millisecond
	go srv.Serve(s.HTTPListener())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { Shutdown(srv, 5*time.Second); s.Close() })

	for _, tc := range []struct{ name, send string }{
		{"half a request", "GET /mvapireq/?apientry=apitest1 HTTP/1.1\r\nHost: x\r\n"},
		{"a request, then nothing", "GET /mvapireq/?apientry=apitest1 HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			io.WriteString(c, tc.send)
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			got, err := io.ReadAll(c) // until the server closes
			if err != nil {
				t.Fatalf("the server did not close the connection: %v (read %q)", err, got)
			}
			if took := time.Since(start); took < 300*time.Millisecond {
				t.Fatalf("closed after %v, before the timeout", took)
			}
			if strings.HasSuffix(tc.send, "\r\n\r\n") && !strings.Contains(string(got), "200 OK") {
				t.Fatalf("answer %q, want 200 OK before the idle close", got)
			}
		})
	}
}
