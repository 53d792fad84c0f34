package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
)

// startLineServer runs the real Main with the raw TCP and UDP APIs on free
// loopback ports.
func startLineServer(t *testing.T, sets map[string]string) *testServer {
	t.Helper()
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "lines.db"), Listen: "127.0.0.1:0",
		TCPListen: "127.0.0.1:0", UDPListen: "127.0.0.1:0", Sets: sets,
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
	return &testServer{t: t, m: m, base: m.URL(), key: m.Engine.Config().APIKey}
}

func TestRawTCP(t *testing.T) {
	s := startLineServer(t, map[string]string{"streamidle": "1"})
	s.user("tcpuser", "tcppass1", engine.TypeEndUser, 7)
	conn, err := net.Dial("tcp", s.m.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	balance := webphoneQuery("balance", s.key, "tcpuser", "tcppass1", "")
	// Several requests in one write, in each accepted shape and line end.
	io.WriteString(conn, "/mvapireq/?apientry=apitest1\r\n"+
		"apientry=apitest1&format=json\n"+
		"http://voip.example/mvapireq/?"+balance+"\r"+
		"\r\n"+ // an empty line is skipped
		webphoneQuery("balance", s.key, "tcpuser", "nope", "")+"\r\n")
	for _, want := range []string{"OK: API test (127.0.0.1)", "{", "Your credit is $7", "ERROR: auth failed"} {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the answer %q: %v", want, err)
		}
		if !strings.HasSuffix(line, "\r\n") {
			t.Fatalf("answer %q does not end with CRLF", line)
		}
		wantPrefix(t, line, want)
	}
	// The connection closes itself after streamidle seconds of silence.
	start := time.Now()
	if _, err := r.ReadString('\n'); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("idle close after %v, want about 1s", d)
	}
}

func TestRawTCPLongLine(t *testing.T) {
	s := startLineServer(t, nil)
	conn, err := net.Dial("tcp", s.m.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "apientry=apitest1&pad="+strings.Repeat("x", 9000)+"\r\n")
	r := bufio.NewReader(conn)
	line, _ := r.ReadString('\n')
	wantPrefix(t, line, "ERROR: request line longer than 8192 bytes")
	if _, err := r.ReadString('\n'); err != io.EOF {
		t.Fatalf("after a long line: %v, want the connection closed", err)
	}
}

// udpAsk sends one datagram and returns the answer datagram.
func udpAsk(t *testing.T, addr, msg string) string {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("udp answer to %.40q: %v", msg, err)
	}
	if n > 1490 {
		t.Fatalf("answer datagram of %d bytes, want at most 1490", n)
	}
	return string(buf[:n])
}

func TestUDP(t *testing.T) {
	s := startLineServer(t, nil)
	s.user("udpuser", "udppass1", engine.TypeEndUser, 3)
	// (padded: an unauthenticated answer is never larger than the request)
	wantPrefix(t, udpAsk(t, s.m.UDPAddr(), "apientry=apitest1&pad=xxxxxxxx\r\n"), "OK: API test (127.0.0.1)")
	wantPrefix(t, udpAsk(t, s.m.UDPAddr(), "/mvapireq/?"+webphoneQuery("balance", s.key, "udpuser", "udppass1", "")),
		"Your credit is $3")
	wantPrefix(t, udpAsk(t, s.m.UDPAddr(), "apientry=apitest1&pad="+strings.Repeat("x", 1500)),
		"ERROR: datagram longer than 1490 bytes")
}

// TestUDPGetsNoIPTrust: a UDP source address can be forged, so an admin
// entry that loopback may call without credentials over HTTP is refused
// over UDP unless udptrust=1.
func TestUDPGetsNoIPTrust(t *testing.T) {
	s := startLineServer(t, nil)
	wantPrefix(t, udpAsk(t, s.m.UDPAddr(), "apientry=apireload"), "ERROR")
	_, body := s.get("apientry", "apireload")
	wantPrefix(t, body, "OK")

	trusting := startLineServer(t, map[string]string{"udptrust": "1"})
	wantPrefix(t, udpAsk(t, trusting.m.UDPAddr(), "apientry=apireload"), "OK")
}

func TestLineTransportsOffByDefault(t *testing.T) {
	s := startServer(t, "", nil)
	if s.m.TCPAddr() != "" || s.m.UDPAddr() != "" {
		t.Fatalf("tcp %q udp %q listening though tcpport and udpport are 0", s.m.TCPAddr(), s.m.UDPAddr())
	}
}
