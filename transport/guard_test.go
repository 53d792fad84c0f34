package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

func TestLooksLikeHTTP(t *testing.T) {
	for _, line := range []string{
		"GET /?apientry=listusers HTTP/1.1",
		"POST / HTTP/1.1",
		"get /mvapireq/?apientry=x HTTP/1.0",
		"OPTIONS * HTTP/1.1",
		"/mvapireq/?apientry=x HTTP/1.1",
		"Host: 127.0.0.1:8081",
		"Origin: https://evil.example",
		"Content-Type: text/plain;charset=UTF-8",
		"content-length: 40",
		"Sec-Fetch-Site: cross-site",
		"Referer:https://evil.example/",
		"Upgrade-Insecure-Requests: 1",
	} {
		if !looksLikeHTTP(line) {
			t.Errorf("looksLikeHTTP(%q) = false", line)
		}
	}
	for _, line := range []string{
		"apientry=addcredit&pin=1111&credit=1000",
		"/mvapireq/?apientry=apitest1",
		"?apientry=a",
		"wss://h.example/mvstwebsock/mvapireq/?apientry=balance&authkey=K",
		"http://voip.example/mvapireq/?apientry=balance",
		"https://other.example:8443/?apientry=a&b=c",
		"mcrfs=ABC-",
		"apientry=sms&txt=see you at 10:30",
		"apientry=sms&txt=Host: me",
		"param1=balance&param2=k",
		"",
	} {
		if looksLikeHTTP(line) {
			t.Errorf("looksLikeHTTP(%q) = true", line)
		}
	}
}

func TestHostAllowsTrust(t *testing.T) {
	db := mvtest.MustDB(t)
	e := mvtest.MustEngine(t, db, map[string]string{"httphostnames": "api.example.net, .corp.example, *.voip.example"})
	cfg := e.Config()
	for host, want := range map[string]bool{
		"":                          true,
		"127.0.0.1":                 true,
		"127.0.0.1:8080":            true,
		"[::1]:8080":                true,
		"203.0.113.7":               true,
		"localhost:8080":            true,
		"LocalHost.":                true,
		"mvapi.localhost":           true,
		"api.example.net:8080":      true,
		"API.example.net":           true,
		"pbx.corp.example":          true,
		"a.b.voip.example":          true,
		"rebind.attacker.example":   false,
		"localhost.attacker.com":    false,
		"api.example.net.evil.com":  false,
		"corp.example.evil":         false,
		"127.0.0.1.nip.io":          false,
		"xapi.example.net":          false,
		"rebind.attacker.example:1": false,
	} {
		if got := HostAllowsTrust(host, cfg); got != want {
			t.Errorf("HostAllowsTrust(%q) = %v, want %v", host, got, want)
		}
	}
}

// flakyListener returns a temporary error (as accept(2) does when the
// process is out of file descriptors) the first fails times, then the
// connections of conns, then blocks until closed.
type flakyListener struct {
	mu     sync.Mutex
	fails  int
	errs   int
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newFlakyListener(fails int) *flakyListener {
	return &flakyListener{fails: fails, conns: make(chan net.Conn, 4), closed: make(chan struct{})}
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.errs < l.fails {
		l.errs++
		l.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	l.mu.Unlock()
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *flakyListener) Close() error { l.once.Do(func() { close(l.closed) }); return nil }
func (l *flakyListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
}

// pipeConn is one end of net.Pipe with a TCP remote address.
type pipeConn struct{ net.Conn }

func (pipeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4711} }

// TestAcceptRetriesTemporaryErrors is issue 10 #12: out of file
// descriptors (EMFILE from Accept) ended the raw TCP API and the console
// for good. Now both retry with a backoff from 5 ms and serve the next
// connection.
func TestAcceptRetriesTemporaryErrors(t *testing.T) {
	e := mvtest.MustEngine(t, mvtest.MustDB(t), nil)
	var logs strings.Builder
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	type server interface {
		Serve(net.Listener) error
		Close() error
	}
	type testCase struct {
		srv                server
		sleeps             *[]time.Duration
		request, wantReply string
	}
	recordSleeps := func(a *retryingAccept) *[]time.Duration {
		var mu sync.Mutex
		sleeps := &[]time.Duration{}
		a.sleep = func(d time.Duration) { mu.Lock(); *sleeps = append(*sleeps, d); mu.Unlock() }
		return sleeps
	}
	tcp := &TCP{Engine: e, Log: log}
	console := &Console{Engine: e, Log: log}
	for name, tc := range map[string]testCase{
		"raw tcp": {tcp, recordSleeps(&tcp.acceptor), "apientry=apitest1\r\n", "OK: API test (192.0.2.1)"},
		"console": {console, recordSleeps(&console.acceptor), "version\r\n", "ERROR: not logged in"},
	} {
		t.Run(name, func(t *testing.T) {
			ln := newFlakyListener(9)
			served := make(chan error, 1)
			go func() { served <- tc.srv.Serve(ln) }()
			client, server := net.Pipe()
			ln.conns <- pipeConn{server}
			client.SetDeadline(time.Now().Add(30 * time.Second))
			go io.WriteString(client, tc.request)
			line, err := bufio.NewReader(client).ReadString('\n')
			if err != nil {
				t.Fatalf("no answer after the accept errors: %v", err)
			}
			if !strings.HasPrefix(line, tc.wantReply) {
				t.Fatalf("answer %q, want %q", line, tc.wantReply)
			}
			client.Close()
			tc.srv.Close()
			ln.Close()
			select {
			case err := <-served:
				if err != nil {
					t.Fatalf("Serve returned %v after Close", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Serve did not return after Close")
			}
			want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000}
			got := *tc.sleeps
			if len(got) != len(want) {
				t.Fatalf("backoff %v, want %v ms", got, want)
			}
			for i := range want {
				if got[i] != want[i]*time.Millisecond {
					t.Fatalf("backoff %v, want %v ms", got, want)
				}
			}
		})
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "accept failed; retrying"); n < 1 || n > 4 {
		t.Fatalf("%d log lines for 18 accept errors, want a rate-limited few:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "too many open files") {
		t.Fatalf("log does not say why:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestTemporaryAcceptError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.EMFILE)}, true},
		{&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ENFILE)}, true},
		{&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ECONNABORTED)}, true},
		{net.ErrClosed, false},
		{fmt.Errorf("wrapped: %w", net.ErrClosed), false},
		{errors.New("something else"), false},
	} {
		if got := temporaryAcceptError(tc.err); got != tc.want {
			t.Errorf("temporaryAcceptError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestConnLimits(t *testing.T) {
	e := mvtest.MustEngine(t, mvtest.MustDB(t), map[string]string{"maxconnections": "3", "maxconnectionsperip": "2"})
	l := newConnLimits(e.Config)
	a, b, c := mustAddr("192.0.2.1"), mustAddr("192.0.2.2"), mustAddr("192.0.2.3")
	for _, ip := range []string{"192.0.2.1", "192.0.2.1"} {
		if err := l.acquire(mustAddr(ip)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.acquire(a); !errors.Is(err, errTooManyConnsFromIP) {
		t.Fatalf("third from one IP: %v", err)
	}
	if err := l.acquire(b); err != nil {
		t.Fatal(err)
	}
	if err := l.acquire(c); !errors.Is(err, errTooManyConns) {
		t.Fatalf("fourth in all: %v", err)
	}
	l.release(a)
	if err := l.acquire(c); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	// Loopback is trusted: no per-IP limit (a reverse proxy), the total
	// still applies.
	l2 := newConnLimits(e.Config)
	for i := 0; i < 3; i++ {
		if err := l2.acquire(mustAddr("127.0.0.1")); err != nil {
			t.Fatalf("loopback connection %d: %v", i+1, err)
		}
	}
	if err := l2.acquire(mustAddr("127.0.0.1")); !errors.Is(err, errTooManyConns) {
		t.Fatalf("loopback over the total: %v", err)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
