package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
)

// maxConsoleLine is the longest console line accepted.
const maxConsoleLine = 8 << 10

// maxLoginFailures closes a console connection after this many bad logins.
const maxLoginFailures = 3

// Console is the admin console on adminport: a line based TCP protocol for
// nc or telnet. The first line is `login USERNAME PASSWORD` (an admin or
// support user); then each line is a request, in the raw form
// (`/mvapireq/?apientry=NAME&k=v` or `apientry=NAME&k=v`) or as
// `NAME k=v k=v`, run as the logged-in user without auth parameters. Each
// answer is the text format followed by a line `EOF`.
type Console struct {
	Engine *engine.Engine
	Log    *slog.Logger

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool
	// limits are maxconnections and maxconnectionsperip; acceptor retries
	// temporary Accept errors (out of file descriptors).
	limits   *connLimits
	acceptor retryingAccept
}

// Serve accepts console connections on ln until Close.
func (c *Console) Serve(ln net.Listener) error {
	c.mu.Lock()
	c.ln, c.conns = ln, map[net.Conn]struct{}{}
	if c.limits == nil {
		c.limits = newConnLimits(c.Engine.Config)
	}
	c.acceptor.name, c.acceptor.log = "admin console", c.logger
	c.mu.Unlock()
	isClosed := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.closed
	}
	for {
		conn, err := c.acceptor.accept(ln, isClosed)
		if err != nil {
			if isClosed() {
				return nil
			}
			c.logger().Error("admin console stopped", "err", err)
			return fmt.Errorf("console accept: %w", err)
		}
		ip := remoteIP(conn.RemoteAddr().String())
		if err := c.limits.acquire(ip); err != nil {
			refuseConn(conn, err)
			continue
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			c.limits.release(ip)
			conn.Close()
			return nil
		}
		c.conns[conn] = struct{}{}
		c.wg.Add(1)
		c.mu.Unlock()
		go func() {
			defer c.wg.Done()
			defer c.limits.release(ip)
			defer func() {
				conn.Close()
				c.mu.Lock()
				delete(c.conns, conn)
				c.mu.Unlock()
			}()
			c.session(conn)
		}()
	}
}

// Close stops listening, closes every session and waits for them.
func (c *Console) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.ln != nil {
		c.ln.Close()
	}
	for conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

func (c *Console) session(conn net.Conn) {
	ip := remoteIP(conn.RemoteAddr().String())
	cfg := c.Engine.Config()
	w := bufio.NewWriter(conn)
	reply := func(res format.Result) {
		fmt.Fprintf(w, "%s\r\nEOF\r\n", consoleText(res))
		w.Flush()
	}
	if !remoteAdminAllows(cfg, ip) {
		c.Log.Warn("console connection refused by remoteadmin", "ip", ip.String())
		reply(engine.Errorf("remote administration is not allowed from %s", ip))
		return
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 1024), maxConsoleLine)
	var user *engine.User
	failures := 0
	for {
		idle := time.Duration(max(c.Engine.Config().Int("consoleidle"), 1)) * time.Second
		conn.SetReadDeadline(time.Now().Add(idle))
		if !sc.Scan() {
			if errors.Is(sc.Err(), bufio.ErrTooLong) {
				reply(engine.Errorf("line longer than %d bytes", maxConsoleLine))
			}
			return
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if looksLikeHTTP(line) {
			// A web page's request to this port: refuse it and everything
			// after it on the connection (see TCP).
			c.logger().Warn("console: HTTP request refused", "ip", ip.String())
			reply(engine.Errorf("%s", strings.TrimPrefix(msgHTTPOnLine, "ERROR: ")))
			return
		}
		word := strings.ToLower(strings.Fields(line)[0])
		switch {
		case word == "close" || word == "exit" || word == "quit":
			reply(engine.OK("bye"))
			return
		case word == "login":
			f := strings.Fields(line)
			var err error
			if len(f) == 3 {
				user, err = c.Engine.ConsoleLogin(context.Background(), f[1], f[2], ip)
				c.Engine.AuditConsoleLogin(context.Background(), f[1], user, ip, err)
			} else {
				err = engine.ErrLoginFailed
			}
			if err != nil && !errors.Is(err, engine.ErrLoginFailed) {
				reply(engine.Errorf("login refused: %v", err)) // banned, locked, or the database
				return
			}
			if err != nil {
				user = nil
				failures++
				c.Log.Warn("console login failed", "ip", ip.String(), "failures", failures)
				reply(engine.Errorf("login failed: use login USERNAME PASSWORD with an admin or support account"))
				if failures >= maxLoginFailures {
					return
				}
				continue
			}
			c.Log.Info("console login", "user", user.Username, "ip", ip.String())
			reply(engine.OK("logged in as " + user.Username))
		case user == nil:
			reply(engine.Errorf("not logged in: send login USERNAME PASSWORD first"))
		default:
			reply(c.run(line, user, ip))
		}
	}
}

// run decodes one console request and serves it as the session's user.
func (c *Console) run(line string, user *engine.User, ip netip.Addr) format.Result {
	snap := c.Engine.Snapshot()
	params, err := parseConsoleLine(line, snap.Config.XORKey)
	if err != nil {
		return engine.Errorf("bad request: %v", err)
	}
	req := engine.NewRequest(params, ip, "console")
	req.Session = user
	return c.Engine.ServeSnapshot(context.Background(), snap, req)
}

// parseConsoleLine reads `/mvapireq/?apientry=X&k=v`, `apientry=X&k=v` or
// `NAME k=v k=v` (a word without '=' is the next positional paramN).
func parseConsoleLine(line, xorKey string) ([]wire.Param, error) {
	if strings.HasPrefix(line, "/") || strings.HasPrefix(line, "?") || strings.Contains(strings.ToLower(line), "apientry=") {
		return wire.ParseQuery(line, xorKey)
	}
	f := strings.Fields(line)
	params := []wire.Param{{Name: "apientry", Value: f[0]}}
	n := 0
	for _, tok := range f[1:] {
		k, v, ok := strings.Cut(tok, "=")
		if !ok || k == "" {
			n++
			k, v = "param"+strconv.Itoa(n), tok
		}
		params = append(params, wire.Param{Name: strings.ToLower(k), Value: v})
	}
	return wire.Expand(params, xorKey)
}

// consoleText is the text format of an answer, its table as CSV lines.
func consoleText(res format.Result) string {
	var b strings.Builder
	if _, err := format.Encode(&b, format.Text, res, ""); err != nil {
		return "ERROR: " + err.Error()
	}
	return strings.TrimRight(b.String(), "\r\n")
}

// remoteAdminAllows applies remoteadmin: 0 nobody, 1 localhost, 2 this
// machine, 3 trusted IPs, 4 LAN and subnet, 5 everywhere.
func remoteAdminAllows(cfg *engine.Config, ip netip.Addr) bool {
	switch cfg.Int("remoteadmin") {
	case 0:
		return false
	case 1:
		return ip.IsLoopback()
	case 2:
		return ip.IsLoopback() || isLocalAddress(ip)
	case 3:
		return ip.IsLoopback() || cfg.Trusted(ip)
	case 4:
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || isLocalAddress(ip)
	default:
		return true
	}
}

func (c *Console) logger() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

func isLocalAddress(ip netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}
