package transport

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
)

// This file holds the defences the transports share: HTTP text on a line
// transport (a web page's request), the Host check against DNS rebinding,
// accept loops that survive running out of file descriptors, and the
// connection limits per listener and per IP.

// msgHTTPOnLine is the answer to HTTP text sent to a line transport.
const msgHTTPOnLine = "ERROR: HTTP is not served on this port: a request that looks like HTTP (a web page's) is refused and the connection closed"

// httpMethods are the request methods a browser or fetch() may send.
var httpMethods = []string{"GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE", "PATCH", "CONNECT", "TRACE", "PROPFIND"}

// looksLikeHTTP reports whether a line of a line transport is part of an
// HTTP request rather than an API request line: a request line (a method
// followed by a space, as in `GET /?apientry=x HTTP/1.1` or
// `POST / HTTP/1.1`), any line ending in ` HTTP/1.x`, or a header line
// `Name: value` (`Host:`, `Origin:`, `Content-Type:` ...). API lines start
// with a path, '?', a parameter name followed by '=' or a URL `scheme://`,
// so none of them matches.
func looksLikeHTTP(line string) bool {
	s := strings.TrimSpace(line)
	if s == "" {
		return false
	}
	if method, _, ok := strings.Cut(s, " "); ok {
		for _, m := range httpMethods {
			if strings.EqualFold(method, m) {
				return true
			}
		}
	}
	if i := strings.LastIndexByte(s, ' '); i >= 0 && len(s)-i >= 6 && strings.EqualFold(s[i+1:i+6], "HTTP/") {
		return true
	}
	// A header line: a field name of letters, digits and '-' then ':' (not
	// the "://" of a URL).
	name, rest, ok := strings.Cut(s, ":")
	if !ok || name == "" || strings.HasPrefix(rest, "//") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// anyLineLooksLikeHTTP applies looksLikeHTTP to every line of text (a UDP
// datagram or a WebSocket message may hold several).
func anyLineLooksLikeHTTP(text string) bool {
	for line := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if looksLikeHTTP(line) {
			return true
		}
	}
	return false
}

// HostAllowsTrust reports whether an HTTP request's Host may get IP trust:
// an IP literal, localhost or a name under .localhost, or a name listed in
// httphostnames (comma separated; an entry starting with "." or "*." also
// matches every name below it). An empty Host (HTTP/1.0) is allowed. Any
// other name is what a DNS rebinding page sends (its own name now pointing
// at 127.0.0.1), so such a request is treated like one made by a page.
func HostAllowsTrust(hostport string, cfg *engine.Config) bool {
	host := strings.TrimSpace(hostport)
	if host == "" {
		return true
	}
	// Without a ':' (no port) SplitHostPort would only make an error.
	if strings.IndexByte(host, ':') >= 0 {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = strings.ToLower(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for name := range strings.FieldsFuncSeq(strings.ToLower(cfg.Get("httphostnames")), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		name = strings.TrimSuffix(name, ".")
		switch {
		case strings.HasPrefix(name, "*."):
			if strings.HasSuffix(host, name[1:]) {
				return true
			}
		case strings.HasPrefix(name, "."):
			if strings.HasSuffix(host, name) {
				return true
			}
		case name == host:
			return true
		}
	}
	return false
}

// rateLimitRetry reports whether res is a rate limit refusal and after how
// many seconds it says to retry (HTTP 429 and Retry-After with
// httpstrictresponse).
func rateLimitRetry(res format.Result) (int, bool) {
	if res.Kind != format.KindRateLimited {
		return 0, false
	}
	return max(res.RetryAfter, 1), true
}

// Accept backoff, as net/http's Server uses for temporary errors.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// retryingAccept wraps a listener's Accept: temporary errors (EMFILE,
// ENFILE, ECONNABORTED and the like) are retried after a pause that starts
// at 5 ms and doubles up to 1 s, and logged at most once a second; any
// other error is returned.
type retryingAccept struct {
	name    string
	log     func() *slog.Logger
	lastLog time.Time
	skipped int
	// sleep is time.Sleep; tests may replace it.
	sleep func(time.Duration)
}

func (a *retryingAccept) accept(ln net.Listener, closed func() bool) (net.Conn, error) {
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err == nil {
			return conn, nil
		}
		if closed() || !temporaryAcceptError(err) {
			return nil, err
		}
		if delay == 0 {
			delay = acceptBackoffMin
		} else {
			delay = min(2*delay, acceptBackoffMax)
		}
		a.logRetry(err, delay)
		sleep := a.sleep
		if sleep == nil {
			sleep = time.Sleep
		}
		sleep(delay)
	}
}

func (a *retryingAccept) logRetry(err error, delay time.Duration) {
	now := time.Now()
	if now.Sub(a.lastLog) < time.Second {
		a.skipped++
		return
	}
	log := slog.Default()
	if a.log != nil {
		log = a.log()
	}
	log.Warn(a.name+" accept failed; retrying", "err", err, "retry_in", delay, "suppressed", a.skipped)
	a.lastLog, a.skipped = now, 0
}

// temporaryAcceptError reports whether an Accept error is worth retrying:
// the listener is still open and the error passes (out of file
// descriptors, a connection aborted before it was accepted).
func temporaryAcceptError(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.EINTR) {
		return true
	}
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// Connection limit defaults (maxconnections, maxconnectionsperip).
const (
	defaultMaxConnections      = 1000
	defaultMaxConnectionsPerIP = 64
)

var (
	errTooManyConns       = errors.New("too many connections to this port, try again later")
	errTooManyConnsFromIP = errors.New("too many connections from your address, try again later")
)

// connLimits counts the open connections of one listener, in all and per
// client IP, against maxconnections and maxconnectionsperip (read at each
// new connection, so a reload applies to the next one; 0 or less turns a
// limit off). Trusted IPs (loopback, trustediplist) have no per-IP limit:
// a reverse proxy in front of mvapi speaks for many clients.
type connLimits struct {
	cfg func() *engine.Config

	mu    sync.Mutex
	total int
	byIP  map[netip.Addr]int
}

func newConnLimits(cfg func() *engine.Config) *connLimits {
	return &connLimits{cfg: cfg, byIP: map[netip.Addr]int{}}
}

// acquire counts a new connection from ip, or refuses it over a limit.
func (l *connLimits) acquire(ip netip.Addr) error {
	maxTotal, maxIP := defaultMaxConnections, defaultMaxConnectionsPerIP
	if l.cfg != nil {
		if cfg := l.cfg(); cfg != nil {
			maxTotal, maxIP = cfg.Int("maxconnections"), cfg.Int("maxconnectionsperip")
			if cfg.Trusted(ip) {
				maxIP = 0 // a reverse proxy or portal on a trusted address speaks for many clients
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if maxTotal > 0 && l.total >= maxTotal {
		return errTooManyConns
	}
	if maxIP > 0 && l.byIP[ip] >= maxIP {
		return errTooManyConnsFromIP
	}
	l.total++
	l.byIP[ip]++
	return nil
}

// release forgets a connection counted by acquire.
func (l *connLimits) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byIP[ip] <= 1 {
		delete(l.byIP, ip)
	} else {
		l.byIP[ip]--
	}
}

// LimitListener wraps the HTTP(S) listener ln with the connection limits
// maxconnections and maxconnectionsperip of cfg: a connection over a limit
// is closed at once (over plain HTTP after a 503 answer when busy is set)
// and the listener goes on accepting. Accept errors are passed on: the
// http.Server retries temporary ones itself.
func LimitListener(ln net.Listener, cfg func() *engine.Config, busy bool) net.Listener {
	return &limitListener{Listener: ln, limits: newConnLimits(cfg), busy: busy}
}

type limitListener struct {
	net.Listener
	limits *connLimits
	busy   bool
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c.RemoteAddr().String())
		if err := l.limits.acquire(ip); err != nil {
			if l.busy {
				c.SetWriteDeadline(time.Now().Add(time.Second))
				c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: " +
					strconv.Itoa(len(err.Error())+8) + "\r\n\r\nERROR: " + err.Error() + "\n"))
			}
			c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: sync.OnceFunc(func() { l.limits.release(ip) })}, nil
	}
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
