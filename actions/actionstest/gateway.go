package actionstest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// SMS is one request the gateway received.
type SMS struct {
	Method, To, From, Text, Unicode, Key string
	// IdemHeader is the Idempotency-Key header; Auth the Authorization one.
	IdemHeader, Auth string
}

// Gateway is a recording HTTP SMS gateway on 127.0.0.1. Respond decides
// each answer (default 200 "OK: queued").
type Gateway struct {
	// URL is the base URL (http://127.0.0.1:port).
	URL string
	// Respond returns the status and body for a request.
	Respond func(SMS) (int, string)

	mu   sync.Mutex
	reqs []SMS
	keys map[string]int
	srv  *httptest.Server
	addr string
}

// StartGateway starts the gateway; it is closed when the test ends.
func StartGateway(tb testing.TB) *Gateway {
	tb.Helper()
	g := &Gateway{keys: map[string]int{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	g.URL, g.addr = g.srv.URL, g.srv.Listener.Addr().String()
	tb.Cleanup(g.srv.Close)
	return g
}

// Template is a smsgatewayurl for this gateway with every placeholder.
func (g *Gateway) Template() string {
	return g.URL + "/send?to={to}&from={from}&text={text}&unicode={unicode}&key={key}"
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s := SMS{Method: r.Method, To: r.Form.Get("to"), From: r.Form.Get("from"), Text: r.Form.Get("text"),
		Unicode: r.Form.Get("unicode"), Key: r.Form.Get("key"),
		IdemHeader: r.Header.Get("Idempotency-Key"), Auth: r.Header.Get("Authorization")}
	code, body := http.StatusOK, "OK: queued"
	if g.Respond != nil {
		code, body = g.Respond(s)
	}
	g.mu.Lock()
	g.reqs = append(g.reqs, s)
	if code >= 200 && code < 300 {
		g.keys[s.IdemHeader]++
	}
	g.mu.Unlock()
	w.WriteHeader(code)
	w.Write([]byte(body))
}

// Requests returns every request received, accepted or not.
func (g *Gateway) Requests() []SMS {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]SMS(nil), g.reqs...)
}

// Accepted is how many times a key was answered 2xx.
func (g *Gateway) Accepted(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.keys[key]
}

// WaitRequests waits until at least n requests arrived.
func (g *Gateway) WaitRequests(tb testing.TB, n int, timeout time.Duration) []SMS {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := g.Requests()
		if len(r) >= n {
			return r
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gateway: %d request(s) after %v, want %d", len(r), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Down returns an http URL on which nothing listens (a gateway that is down).
func Down(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/send?to={to}&text={text}"
}
