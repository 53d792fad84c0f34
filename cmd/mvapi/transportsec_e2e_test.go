package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"mvapi/engine"
)

// credit reads a user's credit from the database.
func (s *testServer) credit(name string) float64 {
	s.t.Helper()
	var c float64
	if err := s.m.DB.GetContext(context.Background(), &c, s.m.DB.Dialect.Rebind("SELECT credit FROM tb_users WHERE username = ?"), name); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// readAllLines reads what the server sends until it closes the connection.
func readAllLines(t *testing.T, conn net.Conn) []string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading until the server closes: %v (got %q)", err, b)
	}
	return strings.FieldsFunc(string(b), func(r rune) bool { return r == '\r' || r == '\n' })
}

// TestRawTCPRefusesAWebPagesRequest is issue 10 #1, exactly as written: a
// cross-site text/plain POST from a web page to the tcpport whose body holds
// request lines (`apientry=addcredit&pin=1111&credit=1000`), and an HTTP
// request line `GET /?apientry=listusers HTTP/1.1`, got admin through
// loopback trust. Now the first HTTP line is answered ERROR, the
// connection is closed and nothing of it runs.
func TestRawTCPRefusesAWebPagesRequest(t *testing.T) {
	s := startLineServer(t, nil)
	s.user("1111", "demo1111", engine.TypeEndUser, 9.8)
	body := "apientry=addcredit&pin=1111&credit=1000"
	// What Chrome sends for fetch(url, {method: "POST", mode: "no-cors",
	// body: "..."}) or a <form enctype="text/plain">.
	post := "POST / HTTP/1.1\r\n" +
		"Host: " + s.m.TCPAddr() + "\r\n" +
		"Connection: keep-alive\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n", len(body)) +
		"sec-ch-ua-platform: \"Linux\"\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"Content-Type: text/plain;charset=UTF-8\r\n" +
		"Accept: */*\r\n" +
		"Origin: https://evil.example\r\n" +
		"Sec-Fetch-Site: cross-site\r\n" +
		"Sec-Fetch-Mode: no-cors\r\n" +
		"Sec-Fetch-Dest: empty\r\n" +
		"Referer: https://evil.example/\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n" +
		"\r\n" + body + "\r\n"
	get := "GET /?apientry=listusers HTTP/1.1\r\nHost: " + s.m.TCPAddr() + "\r\nAccept: */*\r\n\r\n"
	// A body after headers the scanner might split differently: a header
	// line first (a request whose first line was lost) must be refused too.
	headerFirst := "Origin: https://evil.example\r\n\r\n" + body + "\r\n"
	for name, attack := range map[string]string{"text/plain POST": post, "GET listusers": get, "header line": headerFirst} {
		conn, err := net.Dial("tcp", s.m.TCPAddr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(15 * time.Second))
		io.WriteString(conn, attack)
		lines := readAllLines(t, conn)
		conn.Close()
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "ERROR: HTTP is not served on this port") {
			t.Errorf("%s: answered %q, want one ERROR line and the connection closed", name, lines)
		}
	}
	if c := s.credit("1111"); c != 9.8 {
		t.Fatalf("a web page's request changed the credit of 1111 to %v", c)
	}
	// The same lines without HTTP still work for a program on the host.
	conn, err := net.Dial("tcp", s.m.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	io.WriteString(conn, body+"\r\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix(t, line, "OK")
	if c := s.credit("1111"); c != 1009.8 {
		t.Fatalf("credit %v after a program's addcredit, want 1009.8", c)
	}
}

// TestConsoleRefusesHTTP: the admin console answers HTTP text with one
// ERROR and closes, before any login.
func TestConsoleRefusesHTTP(t *testing.T) {
	m := startConsoleServer(t, nil)
	conn, err := net.Dial("tcp", m.ConsoleAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\r\nlogin root rootpass1\r\nversion\r\n")
	got := strings.Join(readAllLines(t, conn), "\n")
	if !strings.HasPrefix(got, "ERROR: HTTP is not served on this port") || strings.Contains(got, "logged in") {
		t.Fatalf("console answered %q", got)
	}
}

// rebindClient sends requests for the host name rebind.attacker.example to
// the test server, as a browser does once the attacker's DNS points that
// name at 127.0.0.1.
func rebindClient(addr string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}}
}

// TestDNSRebindingGetsNoTrust is issue 10 #2, exactly as written: a
// rebinding page's same-origin GET has no Origin, Referer or Sec-Fetch and
// got loopback trust (`Host: rebind.attacker.example` → getfield …
// retfieldname=password → the admin's password). Now only an IP literal,
// localhost or a name of httphostnames gets IP trust; over WebSocket too.
func TestDNSRebindingGetsNoTrust(t *testing.T) {
	for _, allowed := range []bool{false, true} {
		sets := map[string]string{}
		if allowed {
			sets["httphostnames"] = "api.example.net, rebind.attacker.example"
		}
		s := startServer(t, "", sets)
		s.user("admin", "s3cret-admin", engine.TypeAdmin, 0)
		_, port, _ := net.SplitHostPort(s.m.Addr())
		query := "/mvapireq/?apientry=getfield&table=tb_users&retfieldname=password&filterfieldname=username&filterfieldvalue=admin"
		ask := func(host string) string {
			t.Helper()
			resp, err := rebindClient(s.m.Addr()).Get("http://" + host + ":" + port + query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return string(b)
		}
		got := ask("rebind.attacker.example")
		if strings.Contains(got, "s3cret-admin") == !allowed || !allowed && !strings.HasPrefix(got, "ERROR: auth failed") {
			t.Fatalf("httphostnames=%q: Host rebind.attacker.example answered %q", sets["httphostnames"], got)
		}
		for _, host := range []string{"127.0.0.1", "localhost", "mvapi.localhost"} {
			if got := ask(host); got != "OK: s3cret-admin" {
				t.Fatalf("Host %s answered %q", host, got)
			}
		}

		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		c, _, err := websocket.Dial(ctx, "ws://rebind.attacker.example:"+port+"/mvstwebsock",
			&websocket.DialOptions{Subprotocols: []string{"api"}, HTTPClient: rebindClient(s.m.Addr())})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("wss://rebind.attacker.example"+query+"\r\n")); err != nil {
			t.Fatal(err)
		}
		_, msg, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.Close(websocket.StatusNormalClosure, "")
		cancel()
		if strings.Contains(string(msg), "s3cret-admin") == !allowed {
			t.Fatalf("httphostnames=%q: WebSocket under Host rebind.attacker.example answered %q", sets["httphostnames"], msg)
		}
	}
}

// udpAnswer sends one datagram from a fresh socket and returns the answer,
// or ok=false when none came within wait.
func udpAnswer(t *testing.T, addr, msg string, wait time.Duration) (answer string, ok bool) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 64<<10)
	n, err := conn.Read(buf)
	if err != nil {
		return "", false
	}
	return string(buf[:n]), true
}

// TestUDPIsNoAmplifier is issue 10 #15, exactly as written: 1 byte got 88
// bytes back unauthenticated, 11 bytes (format=soap) 254, and preauth over
// UDP wrote a nonce row for a forged source. Now an unauthenticated answer
// is never larger than its request (a short ERROR that fits, or none), and
// preauth is refused over UDP.
func TestUDPIsNoAmplifier(t *testing.T) {
	s := startLineServer(t, nil)
	s.user("udpuser", "udppass1", engine.TypeEndUser, 3)
	addr := s.m.UDPAddr()
	if got, ok := udpAnswer(t, addr, "x", 2*time.Second); ok {
		t.Fatalf("1 byte datagram answered %d bytes (%q), want no answer", len(got), got)
	}
	for _, req := range []string{"format=soap", "apientry=preauth", "apientry=apitest1", "apientry=apireload&format=soap",
		"apientry=balance&authid=udpuser&authpwd=wrong&format=xml", "apientry=nosuchentry&format=json"} {
		got, ok := udpAnswer(t, addr, req, 10*time.Second)
		if !ok {
			t.Fatalf("%q: no answer", req)
		}
		if len(got) > len(req) || !strings.HasPrefix(got, "ERROR") {
			t.Errorf("%d byte request %q answered %d bytes: %q", len(req), req, len(got), got)
		}
	}
	// A request long enough for the whole answer gets it; preauth says why.
	padded := "apientry=preauth&pad=" + strings.Repeat("x", 100)
	got, _ := udpAnswer(t, addr, padded, 10*time.Second)
	wantPrefix(t, got, "ERROR: preauth is not served over UDP")
	var nonces int
	if err := s.m.DB.GetContext(context.Background(), &nonces, "SELECT COUNT(*) FROM tb_nonces"); err != nil {
		t.Fatal(err)
	}
	if nonces != 0 {
		t.Fatalf("preauth over UDP stored %d nonces", nonces)
	}
	// An authenticated answer may be larger than its request.
	got, _ = udpAnswer(t, addr, "apientry=balance&authkey="+s.key+"&authid=udpuser&authpwd=udppass1&format=soap", 10*time.Second)
	if !strings.Contains(got, "Your credit is $3") {
		t.Fatalf("authenticated soap balance over UDP answered %q", got)
	}
	// The server still answers after the dropped datagram.
	got, _ = udpAnswer(t, addr, "apientry=apitest1&pad=xxxxxxxx", 10*time.Second)
	wantPrefix(t, got, "OK: API test")
}

// TestConnectionLimits is issue 10 #12's limits: maxconnectionsperip holds
// for the raw TCP API (an ERROR line), HTTP (503) and WebSocket; a freed
// slot is reused. Loopback is made untrusted here, since trusted addresses
// (a reverse proxy) have no per-IP limit.
func TestConnectionLimits(t *testing.T) {
	s := startLineServer(t, map[string]string{"allowtrustedip": "0", "maxconnectionsperip": "2"})
	dial := func(addr string) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(20 * time.Second))
		return c
	}
	for name, addr := range map[string]string{"raw tcp": s.m.TCPAddr(), "http": s.m.Addr()} {
		first, second := dial(addr), dial(addr)
		if name == "raw tcp" { // both are being served
			for _, c := range []net.Conn{first, second} {
				io.WriteString(c, "apientry=apitest1\r\n")
				if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "OK") {
					t.Fatalf("raw tcp connection within the limit: %q %v", line, err)
				}
			}
		}
		third := dial(addr)
		io.WriteString(third, "GET /mvapireq/?apientry=apitest1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		got := strings.Join(readAllLines(t, third), "\n")
		want := map[string]string{"raw tcp": "ERROR: too many connections from your address", "http": "HTTP/1.1 503"}[name]
		if !strings.HasPrefix(got, want) {
			t.Fatalf("%s: third connection from one IP answered %q, want %q", name, got, want)
		}
		first.Close()
		deadline := time.Now().Add(20 * time.Second)
		for {
			c := dial(addr)
			if name == "raw tcp" {
				io.WriteString(c, "apientry=apitest1\r\n")
			} else {
				io.WriteString(c, "GET /mvapireq/?apientry=apitest1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "OK") || strings.HasPrefix(line, "HTTP/1.1 200") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: slot not freed after a close: %q", name, line)
			}
			time.Sleep(50 * time.Millisecond)
		}
		second.Close()
	}
}

// TestRateLimitAnswers429: past a rate limit the answer is `ERROR: rate
// limit exceeded, retry in N s`; with httpstrictresponse the HTTP status is
// 429 with Retry-After, and the line transports answer the same text.
func TestRateLimitAnswers429(t *testing.T) {
	s := startLineServer(t, map[string]string{"ratelimittrusted": "1", "ratelimitip": "0.1", "ratelimitipburst": "2", "httpstrictresponse": "1"})
	var codes []int
	var last *http.Response
	var body string
	for range 3 {
		resp, err := http.Get(s.base + "/mvapireq/?apientry=apitest")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		codes, last, body = append(codes, resp.StatusCode), resp, string(b)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v, want 200 200 429", codes)
	}
	ra := last.Header.Get("Retry-After")
	if secs, err := strconv.Atoi(ra); err != nil || secs < 1 || secs > 10 || body != "ERROR: rate limit exceeded, retry in "+ra+" s" {
		t.Fatalf("429 with Retry-After %q and body %q, want 1..10 s (a token every 10 s)", ra, body)
	}
	conn, err := net.Dial("tcp", s.m.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	io.WriteString(conn, "apientry=apitest\r\n")
	line, _ := bufio.NewReader(conn).ReadString('\n')
	wantPrefix(t, line, "ERROR: rate limit exceeded, retry in ")
}
