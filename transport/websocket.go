package transport

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"mvapi/engine"
)

// wsSubprotocol is the sub-protocol Mizu's WebPhone asks for; the server
// must echo it or Chrome drops the connection.
const wsSubprotocol = "api"

// wsWriteTimeout bounds the sending of one answer.
const wsWriteTimeout = 30 * time.Second

// WebSocket serves the API over WebSocket as Mizu's WebPhone uses it: on
// the main HTTP port, path /mvstwebsock (also /mvstwebsock/... and any
// query such as ?requestid=N), sub-protocol "api" (or none). Each text
// message is one request line (see lineQuery), typically the absolute URL
// wss://host/mvstwebsock/mvapireq/?apientry=...; each is answered in order
// with one text message, the text format of the answer or the requested
// format=; a message close, exit or quit ends the session (status 1000).
// A message is bounded by maxrequestbytes; a connection idle for
// streamidle seconds is closed. Upgrades over maxconnections or
// maxconnectionsperip are answered 503.
type WebSocket struct {
	Engine *engine.Engine
	Log    *slog.Logger

	live sessions
	// limits are maxconnections and maxconnectionsperip for WebSocket
	// connections (besides the HTTP listener's own).
	limitsOnce sync.Once
	limits     *connLimits
}

// isWebSocketPath reports whether an HTTP path belongs to the WebSocket
// endpoint.
func isWebSocketPath(p string) bool {
	return p == "/mvstwebsock" || strings.HasPrefix(p, "/mvstwebsock/")
}

// ServeHTTP upgrades the request and serves the connection, on a
// goroutine of its own, until the client leaves, it idles out, a message
// is too large or Close is called. It returns once the connection is
// upgraded: the HTTP server then drops what it kept for the request (its
// header, its context, its goroutine's stack, grown while it served the
// request), which an open WebSocket does not need.
func (ws *WebSocket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ws.live.isClosed() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	ws.limitsOnce.Do(func() { ws.limits = newConnLimits(ws.Engine.Config) })
	ip := remoteIP(r.RemoteAddr)
	if err := ws.limits.acquire(ip); err != nil {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "ERROR: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	// A page's WebSocket, or one opened under a name a DNS rebinding page
	// may use, never gets IP trust.
	untrusted := FromBrowserPage(r) || !HostAllowsTrust(r.Host, ws.Engine.Config())
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{wsSubprotocol},
		// Any Origin is accepted: the WebPhone runs on the operator's own
		// web pages, whose hosts mvapi cannot know. This is safe because
		// the API authenticates every request itself (key, user, password
		// or md5 in the request) and uses no cookies or other ambient
		// credentials, so a foreign page gains nothing it could not get by
		// sending the same request directly.
		InsecureSkipVerify: true,
	})
	if err != nil {
		ws.limits.release(ip)
		ws.logger().Debug("websocket handshake failed", "remote", r.RemoteAddr, "err", err)
		return // Accept has answered the HTTP request
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop := func() {
		c.Close(websocket.StatusGoingAway, "server shutting down")
		cancel()
	}
	if !ws.live.add(c, stop) {
		stop()
		ws.limits.release(ip)
		return
	}
	go func() {
		defer ws.limits.release(ip)
		defer ws.live.done(c)
		defer cancel()
		ws.session(ctx, c, ip, untrusted)
	}()
}

// session reads request messages and answers each in order.
func (ws *WebSocket) session(ctx context.Context, c *websocket.Conn, ip netip.Addr, untrusted bool) {
	defer c.CloseNow()
	cfg := ws.Engine.Config()
	c.SetReadLimit(int64(max(cfg.Int("maxrequestbytes"), 1)))
	for {
		rctx, rcancel := context.WithTimeout(ctx, idleTimeout(ws.Engine.Config()))
		_, data, err := c.Read(rctx)
		rcancel()
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusNormalClosure && s != websocket.StatusGoingAway && ctx.Err() == nil {
				ws.logger().Debug("websocket read ended", "ip", ip.String(), "err", err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				c.Close(websocket.StatusNormalClosure, "idle timeout")
			}
			return
		}
		if isQuitLine(string(data)) {
			c.Close(websocket.StatusNormalClosure, "bye")
			return
		}
		answer := serveLine(ctx, ws.Engine, string(data), ip, "ws", untrusted)
		wctx, wcancel := context.WithTimeout(ctx, wsWriteTimeout)
		err = c.Write(wctx, websocket.MessageText, answer)
		wcancel()
		if err != nil {
			ws.logger().Debug("websocket write failed", "ip", ip.String(), "err", err)
			return
		}
	}
}

// Close refuses new connections, closes every open one with 1001 (going
// away) and waits for their requests to finish.
func (ws *WebSocket) Close() error {
	ws.live.closeAll()
	return nil
}

func (ws *WebSocket) logger() *slog.Logger {
	if ws.Log == nil {
		return slog.Default()
	}
	return ws.Log
}
