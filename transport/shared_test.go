package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		in   string
		tls  bool
		want sniffKind
	}{
		{"GET / HTTP/1.1\r\n", true, sniffHTTP},
		{"get /?apientry=x HTTP/1.0", false, sniffHTTP}, // any case: HTTP never falls to line mode
		{"POST /mvapireq/ HTTP/1.1", false, sniffHTTP},
		{"OPTIONS * HTTP/1.1", false, sniffHTTP},
		{"PROPFIND / HTTP/1.1", false, sniffHTTP},
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false, sniffHTTP},
		{"G", false, sniffMore},
		{"GE", false, sniffMore},
		{"PO", false, sniffMore},
		{"\x16\x03\x01\x02\x00", true, sniffTLS},
		{"\x16\x03\x01\x02\x00", false, sniffLine}, // no TLS configured: the line session answers
		{"/mvapireq/?apientry=apitest1\r\n", true, sniffLine},
		{"apientry=apitest1\r\n", true, sniffLine},
		{"?apientry=apitest1", true, sniffLine},
		{"param1=x", true, sniffLine},
		{"getconfroom", true, sniffLine}, // no space after a method name
		{"POSTAL=1", true, sniffLine},
		{"wss://h/mvstwebsock/mvapireq/?a=b", true, sniffLine},
		{"\r\n", true, sniffLine},
		{"", true, sniffMore},
	} {
		if got := sniff([]byte(tc.in), tc.tls); got != tc.want {
			t.Errorf("sniff(%q, tls=%v) = %v, want %v", tc.in, tc.tls, got, tc.want)
		}
	}
}

// testTLSConfig is a self-signed certificate for 127.0.0.1.
func testTLSConfig(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sniff test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"http/1.1"}}, pool
}

// sniffHarness is a Shared with an HTTP server behind it, serving
// connections handed to ServeConn directly.
type sniffHarness struct {
	s   *Shared
	srv *http.Server
	wg  sync.WaitGroup
}

func newSniffHarness(t testing.TB) *sniffHarness {
	db := mvtest.MustDB(t)
	e := mvtest.MustEngine(t, db, map[string]string{"streamidle": "1"})
	cfg, _ := testTLSConfig(t)
	h := &sniffHarness{s: &Shared{Engine: e, TLS: cfg}}
	h.srv = NewServer(&HTTP{Engine: e})
	h.srv.ReadHeaderTimeout = time.Second
	h.srv.IdleTimeout = time.Second
	go h.srv.Serve(h.s.HTTPListener())
	t.Cleanup(func() {
		Shutdown(h.srv, 5*time.Second)
		h.s.Close()
	})
	return h
}

// run serves data as a client's first bytes over a pipe (the client then
// closes its side) and waits for the server side to finish, draining the
// answer.
func (h *sniffHarness) run(t testing.TB, data []byte) {
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.s.ServeConn(server)
	}()
	go io.Copy(io.Discard, client)
	client.SetWriteDeadline(time.Now().Add(2 * time.Second))
	client.Write(data)
	client.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("ServeConn still running for %q", data)
	}
}

// waitGoroutines polls until at most n goroutines run.
func waitGoroutines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var sniffSeeds = []string{
	"GET /mvapireq/?apientry=apitest1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	"GET / HTTP/1.1\r\n", "GE", "", "\x16", "\x16\x03\x01\x00\x05hello",
	"/mvapireq/?apientry=apitest1\r\n", "apientry=apitest1", "Host: x\r\napientry=apitest1\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "\x00\xff\xfe", strings.Repeat("a", 9000),
}

// No first bytes panic the sniffer or leave a goroutine behind.
func FuzzSniff(f *testing.F) {
	for _, s := range sniffSeeds {
		f.Add([]byte(s))
	}
	h := newSniffHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sniff(data, true)
		sniff(data, false)
		h.run(t, data)
	})
}

func TestSniffLeavesNoGoroutineBehind(t *testing.T) {
	h := newSniffHarness(t)
	h.run(t, []byte("apientry=apitest1\r\n")) // warm up the engine's own goroutines
	base := runtime.NumGoroutine()
	for _, s := range sniffSeeds {
		h.run(t, []byte(s))
	}
	buf := make([]byte, 64)
	for range 50 {
		rand.Read(buf)
		h.run(t, buf)
	}
	waitGoroutines(t, base+2) // the HTTP server's connections close after its timeouts
}
