package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"mvapi/engine"
)

// startSharedServer is the real Main with only --listen: the shared
// service port, TLS on it with a self-signed certificate, UDP on its port
// number.
func startSharedServer(t *testing.T, sets map[string]string) (*testServer, *x509.CertPool) {
	t.Helper()
	certFile, keyFile, pool := selfSigned(t)
	all := map[string]string{"tlscertfile": certFile, "tlskeyfile": keyFile}
	for k, v := range sets {
		all[k] = v
	}
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "shared.db"), Listen: "127.0.0.1:0", Sets: all,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testServer{t: t, m: m, base: m.URL(), key: m.Engine.Config().APIKey}, pool
}

// lineAsk sends one raw request line on conn and reads the answer line.
func lineAsk(t *testing.T, conn net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, line); err != nil {
		t.Fatal(err)
	}
	answer, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("answer to %q: %v", line, err)
	}
	return answer
}

// Every kind of client is answered on the one port.
func TestSharedServicePort(t *testing.T) {
	s, pool := startSharedServer(t, nil)
	s.user("portuser", "portpass1", engine.TypeEndUser, 4)
	addr := s.m.Addr()
	tlsConf := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}

	t.Run("curl: HTTP", func(t *testing.T) {
		_, body := s.getRaw("/mvapireq/?apientry=apitest1")
		wantPrefix(t, body, "OK: API test (127.0.0.1)")
	})
	t.Run("WebSocket with sub-protocol api", func(t *testing.T) {
		c := dialWS(t, s.base, "api")
		if c.Subprotocol() != "api" {
			t.Fatalf("sub-protocol %q", c.Subprotocol())
		}
		got := wsRoundTrip(t, c, "ws://"+addr+"/mvstwebsock/mvapireq/?"+webphoneQuery("balance", s.key, "portuser", "portpass1", "")+"\r\n")
		if got != "Your credit is $4" {
			t.Fatalf("websocket answer %q", got)
		}
	})
	t.Run("raw TCP line", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		wantPrefix(t, lineAsk(t, conn, r, "/mvapireq/?apientry=apitest1\r\n"), "OK: API test (127.0.0.1)")
		wantPrefix(t, lineAsk(t, conn, r, "apientry=apitest1\r\n"), "OK: API test")
		wantPrefix(t, lineAsk(t, conn, r, webphoneQuery("balance", s.key, "portuser", "portpass1", "")+"\r\n"), "Your credit is $4")
	})
	t.Run("TLS with a raw line (openssl s_client)", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, tlsConf)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		wantPrefix(t, lineAsk(t, conn, r, "/mvapireq/?apientry=apitest1\r\n"), "OK: API test (127.0.0.1)")
	})
	t.Run("HTTPS", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 10 * time.Second}
		resp, err := client.Get("https://" + addr + "/mvapireq/?apientry=apitest1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantPrefix(t, string(body), "OK: API test (127.0.0.1)")
	})
	t.Run("wss", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
		c, _, err := websocket.Dial(ctx, "wss://"+addr+"/mvstwebsock?requestid=1",
			&websocket.DialOptions{Subprotocols: []string{"api"}, HTTPClient: client})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		wantPrefix(t, wsRoundTrip(t, c, "wss://"+addr+"/mvstwebsock/mvapireq/?apientry=apitest1\r\n"), "OK: API test")
	})
	t.Run("UDP on the same port number", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(addr)
		if _, uport, _ := net.SplitHostPort(s.m.SharedUDPAddr()); uport != port {
			t.Fatalf("udp on %q, tcp on %q", s.m.SharedUDPAddr(), addr)
		}
		wantPrefix(t, udpAsk(t, net.JoinHostPort("127.0.0.1", port), "/mvapireq/?apientry=apitest1&pad=xxxxxxxxxxxx\r\n"), "OK: API test")
	})
	t.Run("HTTP-looking lines never run", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		wantPrefix(t, lineAsk(t, conn, r, "Host: evil.example\r\napientry=apitest1\r\n"), "ERROR: HTTP is not served on this port")
	})
}

// A client that sends nothing is dropped after streamidle; 500 idle
// connections do not stop the server from answering.
func TestSharedPortIdleClients(t *testing.T) {
	s, _ := startSharedServer(t, map[string]string{"streamidle": "1"})
	conn, err := net.Dial("tcp", s.m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("silent client: %v, want EOF", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Fatalf("silent client dropped after %v, want about streamidle (1s)", d)
	}

	// A slow client (half a request method, then nothing) too.
	slow, err := net.Dial("tcp", s.m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "GE")
	slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := slow.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("slow client: %v, want EOF", err)
	}

	s2, _ := startSharedServer(t, nil) // streamidle 300: the idle ones stay
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := range 500 {
		c, err := net.Dial("tcp", s2.m.Addr())
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		idle = append(idle, c)
		if i%100 == 0 {
			io.WriteString(c, "GE") // half a request line
		}
	}
	_, body := s2.getRaw("/mvapireq/?apientry=apitest1")
	wantPrefix(t, body, "OK: API test")
	c, err := net.Dial("tcp", s2.m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wantPrefix(t, lineAsk(t, c, bufio.NewReader(c), "apientry=apitest1\r\n"), "OK: API test")
}

// usemainaport=0 turns the shared port off: the separate ports serve, and
// they bind the host of --listen.
func TestUseMainAPortOff(t *testing.T) {
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "off.db"), Listen: "127.0.0.1:0", TCPListen: "127.0.0.1:0",
		Sets: map[string]string{"usemainaport": "0"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if m.Addr() != "" || m.SharedUDPAddr() != "" {
		t.Fatalf("shared port open: %q %q", m.Addr(), m.SharedUDPAddr())
	}
	conn, err := net.Dial("tcp", m.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wantPrefix(t, lineAsk(t, conn, bufio.NewReader(conn), "apientry=apitest1\r\n"), "OK: API test")

	// Nothing at all to serve is an error, not a silent server.
	m2 := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "none.db"), Listen: "127.0.0.1:0",
		Sets: map[string]string{"usemainaport": "false"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m2.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if err := m2.Start(); err == nil || !strings.Contains(err.Error(), "nothing to serve") {
		t.Fatalf("start with nothing to serve: %v", err)
	}
}

func TestExtraListenersBindTheListenHost(t *testing.T) {
	if got := listenAddr("", "127.0.0.1", 5060); got != "127.0.0.1:5060" {
		t.Fatal(got)
	}
	if got := listenAddr("", "", 5060); got != ":5060" {
		t.Fatal(got)
	}
	if got := listenAddr("0.0.0.0:1", "127.0.0.1", 5060); got != "0.0.0.0:1" {
		t.Fatal(got)
	}
	if got := listenAddr("", "127.0.0.1", 0); got != "" {
		t.Fatal(got)
	}
	m := &Main{Listen: "127.0.0.1:8080"}
	if m.listenHost() != "127.0.0.1" {
		t.Fatal(m.listenHost())
	}
}

// The HTTPS port (sslportmain) sniffs inside TLS too: a raw line over TLS
// is answered there, and plain text is not served at all.
func TestTLSPortServesRawLines(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "tlsport.db"), Listen: "127.0.0.1:0", TLSListen: "127.0.0.1:0",
		Sets: map[string]string{"tlscertfile": certFile, "tlskeyfile": keyFile}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", m.TLSAddr(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wantPrefix(t, lineAsk(t, conn, bufio.NewReader(conn), "/mvapireq/?apientry=apitest1\r\n"), "OK: API test")
	plain, err := net.Dial("tcp", m.TLSAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(plain, "apientry=apitest1\r\n")
	if n, err := plain.Read(make([]byte, 64)); err == nil {
		t.Fatalf("plain text on the TLS port answered %d bytes", n)
	}
	resp, err := http.Get("http://" + m.TLSAddr() + "/mvapireq/?apientry=apitest1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain HTTP on the TLS port: %d, want 400", resp.StatusCode)
	}
}
