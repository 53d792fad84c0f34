package transport

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
)

// The line transports (WebSocket, raw TCP, UDP and the jppget forwarder)
// carry one request as one line of text: an absolute URL of any scheme
// (wss://host/mvstwebsock/mvapireq/?q), a path (/mvapireq/?q), "?q" or
// the bare query q, possibly ended by CRLF. This file decodes such a line,
// runs it and encodes the answer.

// lineQuery returns the query of one request line. Everything up to and
// including the first '?' is dropped when that prefix holds no '=' or '&'
// (so a '?' inside a parameter value is left alone); a URL or path without
// '?' and without parameters carries none.
func lineQuery(line string) string {
	s := strings.TrimSpace(line)
	prefix, query, found := strings.Cut(s, "?")
	if found {
		if strings.ContainsAny(prefix, "=&") {
			return s
		}
		return query
	}
	if !strings.ContainsAny(s, "=&") && looksLikeURL(s) {
		return ""
	}
	return s
}

// looksLikeURL reports whether s is a URL or request path rather than a
// query.
func looksLikeURL(s string) bool {
	lower := strings.ToLower(s)
	return strings.HasPrefix(s, "/") || strings.Contains(s, "://") ||
		strings.Contains(lower, "mvapireq") || strings.Contains(lower, "mvstwebsock")
}

// serveLine decodes one request line, runs it as transport from ip and
// returns the encoded answer: the text format unless the request names
// another format. Untrusted requests never get IP trust (see
// engine.Request.Untrusted).
func serveLine(ctx context.Context, e *engine.Engine, line string, ip netip.Addr, transport string, untrusted bool) []byte {
	snap := e.Snapshot()
	req, res := runLine(ctx, e, snap, line, ip, transport, untrusted)
	return encodeLine(req, res, snap.Config)
}

// runLine decodes and runs one request line (see serveLine). Text that
// looks like HTTP (a web page's request, see looksLikeHTTP) never runs, and
// preauth is not served over UDP, whose source address can be forged.
func runLine(ctx context.Context, e *engine.Engine, snap *engine.Snapshot, line string, ip netip.Addr, transport string, untrusted bool) (*engine.Request, format.Result) {
	cfg := snap.Config
	if anyLineLooksLikeHTTP(line) {
		return &engine.Request{}, format.Result{Text: msgHTTPOnLine}
	}
	params, err := wire.ParseQuery(lineQuery(line), cfg.XORKey)
	if err != nil {
		return &engine.Request{}, engine.Errorf("bad request: %v", err)
	}
	req := engine.NewRequest(params, ip, transport)
	req.Untrusted = untrusted
	if transport == "udp" && req.Entry == "preauth" {
		return req, engine.Errorf("preauth is not served over UDP: ask for a nonce over HTTP, WebSocket or TCP")
	}
	return req, e.ServeSnapshot(ctx, snap, req)
}

// encodeLine encodes an answer for a line transport.
func encodeLine(req *engine.Request, res format.Result, cfg *engine.Config) []byte {
	name, res := answerFormat(req, res, cfg)
	if res.OK && res.File != nil {
		res = engine.Errorf("downloads are answered over HTTP only")
	}
	body, _, err := format.AppendEncode(nil, name, res, req.Callback)
	if err != nil {
		body, _, _ = format.AppendEncode(nil, format.Text, engine.Errorf("encode: %v", err), "")
	}
	return body
}

// idleTimeout is how long a WebSocket or raw TCP connection may stay idle.
func idleTimeout(cfg *engine.Config) time.Duration {
	return time.Duration(max(cfg.Int("streamidle"), 1)) * time.Second
}

// sessions tracks live connections so that Close can end them all and wait
// for their goroutines.
type sessions struct {
	mu     sync.Mutex
	closed bool
	live   map[any]func()
	wg     sync.WaitGroup
}

// add registers a session and the function that stops it; false (and
// nothing registered) once the sessions are closed.
func (s *sessions) add(key any, stop func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.live == nil {
		s.live = map[any]func(){}
	}
	s.live[key] = stop
	s.wg.Add(1)
	return true
}

// done unregisters a session that has ended.
func (s *sessions) done(key any) {
	s.mu.Lock()
	delete(s.live, key)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *sessions) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// closeAll refuses new sessions, stops every live one and waits for them.
func (s *sessions) closeAll() {
	s.mu.Lock()
	s.closed = true
	stops := make([]func(), 0, len(s.live))
	for _, stop := range s.live {
		stops = append(stops, stop)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, stop := range stops {
		wg.Go(stop)
	}
	wg.Wait()
	s.wg.Wait()
}
