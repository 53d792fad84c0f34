package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"mvapi/engine"
)

// maxTCPLine is the longest raw TCP request line accepted.
const maxTCPLine = 8 << 10

// TCP is the raw TCP transport on tcpport: one request per line ended by
// CR and/or LF (`/mvapireq/?apientry=...`, `apientry=...` or the whole
// URL), each answered with the text format (or the requested format=)
// followed by CRLF; many requests per connection; close, exit or quit ends
// the session. The shared service port (shared.go) serves the same
// sessions for connections that are not HTTP. A line longer than 8 KiB
// is answered ERROR and the connection closed; so is a connection idle for
// streamidle seconds, and one that sends HTTP (a web page's request: a
// request line or a header line, see looksLikeHTTP), whose lines never run.
// Connections over maxconnections or maxconnectionsperip are answered
// ERROR and closed; Accept errors such as running out of file descriptors
// are retried with a backoff.
type TCP struct {
	Engine *engine.Engine
	Log    *slog.Logger

	mu     sync.Mutex
	ln     net.Listener
	closed bool
	live   sessions
	// limits are maxconnections and maxconnectionsperip; acceptor retries
	// temporary Accept errors (out of file descriptors).
	limits   *connLimits
	acceptor retryingAccept
}

// Serve accepts connections on ln until Close.
func (t *TCP) Serve(ln net.Listener) error {
	t.mu.Lock()
	closed := t.closed
	t.ln = ln
	if t.limits == nil {
		t.limits = newConnLimits(t.Engine.Config)
	}
	t.acceptor.name, t.acceptor.log = "raw tcp api", t.logger
	t.mu.Unlock()
	if closed {
		ln.Close()
		return nil
	}
	isClosed := func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.closed
	}
	for {
		conn, err := t.acceptor.accept(ln, isClosed)
		if err != nil {
			if isClosed() {
				return nil
			}
			return fmt.Errorf("raw tcp accept: %w", err)
		}
		ip := remoteIP(conn.RemoteAddr().String())
		if err := t.limits.acquire(ip); err != nil {
			refuseConn(conn, err)
			continue
		}
		if !t.live.add(conn, func() { conn.Close() }) {
			t.limits.release(ip)
			conn.Close()
			return nil
		}
		go func() {
			defer t.live.done(conn)
			defer t.limits.release(ip)
			defer conn.Close()
			t.session(conn)
		}()
	}
}

// Close stops listening, closes every connection and waits for them.
func (t *TCP) Close() error {
	t.mu.Lock()
	t.closed = true
	ln := t.ln
	t.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	t.live.closeAll()
	return nil
}

func (t *TCP) session(conn net.Conn) {
	ip := remoteIP(conn.RemoteAddr().String())
	e := t.Engine
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 1024), maxTCPLine)
	sc.Split(scanCRLF)
	w := bufio.NewWriter(conn)
	for {
		conn.SetReadDeadline(time.Now().Add(idleTimeout(e.Config())))
		if !sc.Scan() {
			if errors.Is(sc.Err(), bufio.ErrTooLong) {
				fmt.Fprintf(w, "ERROR: request line longer than %d bytes\r\n", maxTCPLine)
				w.Flush()
				lingerClose(conn)
			}
			return
		}
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if isQuitLine(string(line)) {
			lingerClose(conn)
			return
		}
		if looksLikeHTTP(string(line)) {
			// A browser page's request (a cross-site form or fetch to this
			// port): neither this line nor any later one (its headers and
			// a body of API lines) may run.
			t.logger().Warn("raw tcp api: HTTP request refused", "ip", ip.String())
			w.WriteString(msgHTTPOnLine + "\r\n")
			conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			w.Flush()
			lingerClose(conn)
			return
		}
		answer := serveLine(context.Background(), e, string(line), ip, "tcp", false)
		w.Write(bytes.TrimRight(answer, "\r\n"))
		w.WriteString("\r\n")
		conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
		if err := w.Flush(); err != nil {
			return
		}
	}
}

// isQuitLine reports whether a line of a raw TCP or WebSocket session
// asks to end it: close, exit or quit (any case), as on the console.
func isQuitLine(line string) bool {
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "close", "exit", "quit":
		return true
	}
	return false
}

// refuseConn answers a connection over a limit with one ERROR line and
// closes it.
func refuseConn(conn net.Conn, err error) {
	conn.SetDeadline(time.Now().Add(time.Second))
	io.WriteString(conn, "ERROR: "+err.Error()+"\r\n")
	conn.Close()
}

func (t *TCP) logger() *slog.Logger {
	if t.Log == nil {
		return slog.Default()
	}
	return t.Log
}

// lingerClose sends FIN and discards what the client still sends for a
// moment, so that closing with unread input does not reset the connection
// before the client has read the last answer.
func lingerClose(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(conn, 1<<20))
}

// scanCRLF splits at CR, LF or CRLF; empty lines come out as empty tokens.
func scanCRLF(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		n := i + 1
		if data[i] == '\r' && n < len(data) && data[n] == '\n' {
			n++
		}
		return n, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
