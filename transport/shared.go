package transport

import (
	"crypto/tls"
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

// Shared is the shared service port of the reference (mainaport): one TCP
// listener that looks at the first bytes of each connection and serves it
// as what it is:
//
//   - HTTP/1.x (a request line "METHOD "), and so the WebSocket upgrade,
//     which is HTTP: handed to the HTTP server through HTTPListener;
//   - TLS (a handshake record, 0x16), when TLS is configured: the handshake
//     is made and the first bytes inside are looked at again, so HTTPS, wss
//     and raw API lines over TLS all work;
//   - anything else: raw API lines, one request per line (/mvapireq/?...,
//     apientry=..., a whole URL), as on tcpport. Text that looks like HTTP
//     never runs there (looksLikeHTTP), whatever its first bytes.
//
// The sniffing is a small peek-and-dispatch rather than a multiplexing
// library: cmux, the usual choice, is not among the modules available
// here, and it matches by reading each connection in turn through every
// matcher, without a way to sniff again inside TLS. A client that sends
// nothing is dropped after streamidle seconds (the idle timeout of the line
// transports); no goroutine waits longer. With TLSOnly every connection
// must start TLS (the sslportmain port).
type Shared struct {
	Engine *engine.Engine
	Log    *slog.Logger
	// TLS, when set, serves TLS on the port (and must be set with TLSOnly).
	TLS     *tls.Config
	TLSOnly bool

	once  sync.Once
	http  *chanListener
	lines *TCP // the raw line sessions (its accept loop is not used)

	mu     sync.Mutex
	ln     net.Listener
	closed bool
	live   sessions
	accept retryingAccept
}

// sniffKind is what the first bytes of a connection are.
type sniffKind int

const (
	sniffMore sniffKind = iota // undecided: read more
	sniffHTTP
	sniffTLS
	sniffLine
)

// maxSniff is the most bytes looked at to decide; a method name plus a
// space is far shorter.
const maxSniff = 16

// sniff decides what a connection is from its first bytes b.
func sniff(b []byte, tlsAllowed bool) sniffKind {
	if len(b) == 0 {
		return sniffMore
	}
	if b[0] == 0x16 && tlsAllowed {
		return sniffTLS
	}
	more := false
	for _, m := range sniffMethods {
		word := m + " "
		n := min(len(b), len(word))
		if !strings.EqualFold(string(b[:n]), word[:n]) {
			continue
		}
		if n == len(word) {
			return sniffHTTP
		}
		more = true // a prefix of a method: wait for the rest
	}
	if more && len(b) < maxSniff {
		return sniffMore
	}
	return sniffLine
}

// sniffMethods are the request methods that make a connection HTTP: those
// looksLikeHTTP knows, and PRI (the HTTP/2 preface, which the HTTP server
// answers).
var sniffMethods = append(append([]string{}, httpMethods...), "PRI")

// HTTPListener is the listener the HTTP server serves: the connections the
// shared port found to be HTTP (over TLS or not) arrive there.
func (s *Shared) HTTPListener() net.Listener {
	s.init()
	return s.http
}

func (s *Shared) init() {
	s.once.Do(func() {
		s.http = newChanListener()
		s.lines = &TCP{Engine: s.Engine, Log: s.Log}
	})
}

// Serve accepts connections on ln until Close.
func (s *Shared) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	closed := s.closed
	s.ln = ln
	s.accept.name, s.accept.log = "shared service port", s.logger
	s.http.setAddr(ln.Addr())
	s.mu.Unlock()
	if closed {
		ln.Close()
		return nil
	}
	for {
		conn, err := s.accept.accept(ln, s.isClosed)
		if err != nil {
			if s.isClosed() {
				return nil
			}
			return fmt.Errorf("shared service port accept: %w", err)
		}
		if !s.live.add(conn, func() { conn.Close() }) {
			conn.Close()
			return nil
		}
		go func() {
			defer s.live.done(conn)
			s.ServeConn(conn)
		}()
	}
}

func (s *Shared) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// ServeConn sniffs one connection and serves it. It returns when a raw
// line session ends, or at once when the connection was handed to the
// HTTP server (which then owns it).
func (s *Shared) ServeConn(conn net.Conn) {
	s.init()
	conn = newDeadlineConn(conn) // net/http moves deadlines on every request
	handedOff := false
	defer func() {
		if !handedOff {
			conn.Close()
		}
	}()
	idle := idleTimeout(s.Engine.Config())
	pc := newPeekConn(conn)
	conn.SetReadDeadline(time.Now().Add(idle))
	kind := pc.sniff(s.TLS != nil)
	if s.TLSOnly && kind != sniffTLS {
		// Not TLS on a TLS port: say so to a plain HTTP client (as
		// net/http does), close on anything else.
		if kind == sniffHTTP {
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			io.WriteString(conn, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nERROR: this port serves TLS only (https://, wss://)\n")
		}
		return
	}
	var inner net.Conn = pc
	if kind == sniffTLS {
		tc := tls.Server(pc, s.TLS)
		conn.SetDeadline(time.Now().Add(min(idle, 30*time.Second)))
		if err := tc.Handshake(); err != nil {
			s.logger().Debug("shared service port: TLS handshake failed", "remote", conn.RemoteAddr().String(), "err", err)
			return
		}
		conn.SetWriteDeadline(time.Time{})
		conn.SetReadDeadline(time.Now().Add(idle))
		tpc := newPeekConn(tc)
		kind = tpc.sniff(false)
		inner = tpc
	}
	switch kind {
	case sniffHTTP:
		conn.SetReadDeadline(time.Time{}) // the HTTP server sets its own
		if s.http.deliver(inner) {
			handedOff = true
		}
	case sniffLine:
		s.lines.session(inner)
	}
	// sniffMore: the client sent nothing decisive before the idle timeout
	// or left.
}

// Close stops accepting, ends the connections being sniffed or served as
// raw lines, and closes the HTTP listener (the HTTP server's own Shutdown
// ends its connections).
func (s *Shared) Close() error {
	s.init()
	s.mu.Lock()
	s.closed = true
	ln := s.ln
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	s.http.Close() // first: a sniffing goroutine may wait to hand a connection over
	s.live.closeAll()
	return nil
}

func (s *Shared) logger() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// peekConn is a connection whose first bytes have been read ahead: at
// most maxSniff of them, held until the next reader has taken them, so
// that an open connection keeps no buffer of its own (the HTTP server and
// the line session read through their own).
type peekConn struct {
	net.Conn
	ahead []byte // read ahead and not yet consumed; nil once drained
}

func newPeekConn(c net.Conn) *peekConn { return &peekConn{Conn: c} }

func (c *peekConn) Read(p []byte) (int, error) {
	if len(c.ahead) == 0 {
		return c.Conn.Read(p)
	}
	n := copy(p, c.ahead)
	if c.ahead = c.ahead[n:]; len(c.ahead) == 0 {
		c.ahead = nil
	}
	return n, nil
}

// sniff reads until the first bytes decide (or the read fails: the
// deadline, the client leaving) and returns what they are; the bytes read
// are read again through c.
func (c *peekConn) sniff(tlsAllowed bool) sniffKind {
	var buf [maxSniff]byte // sniff decides on maxSniff bytes at most
	n := 0
	defer func() { c.ahead = append(c.ahead, buf[:n]...) }()
	for {
		m, err := c.Conn.Read(buf[n:])
		n += m
		if n > 0 {
			if k := sniff(buf[:n], tlsAllowed); k != sniffMore {
				return k
			}
		}
		if err != nil {
			if n > 0 && !isTimeout(err) {
				// The client sent a few bytes and closed its side: serve
				// them as lines (they are not HTTP).
				return sniffLine
			}
			return sniffMore
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// chanListener is a net.Listener fed by the shared port.
type chanListener struct {
	conns  chan net.Conn
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	addr   net.Addr
	closed bool
}

func newChanListener() *chanListener {
	return &chanListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) setAddr(a net.Addr) {
	l.mu.Lock()
	l.addr = a
	l.mu.Unlock()
}

// deliver hands c to Accept; false (c not taken) once closed.
func (l *chanListener) deliver(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addr == nil {
		return &net.TCPAddr{}
	}
	return l.addr
}
