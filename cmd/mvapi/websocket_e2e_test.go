package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/webphone"
)

// dialWS opens /mvstwebsock?requestid=1 as the WebPhone does.
func dialWS(t *testing.T, base string, protos ...string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/mvstwebsock?requestid=1",
		&websocket.DialOptions{Subprotocols: protos, HTTPHeader: http.Header{"Origin": {"https://operator.example"}}})
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// wsRoundTrip sends one text message and returns the next answer.
func wsRoundTrip(t *testing.T, c *websocket.Conn, msg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
	typ, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("answer is a %v message, want text", typ)
	}
	return string(data)
}

func TestWebSocketAsWebPhone(t *testing.T) {
	s := startServer(t, "", map[string]string{"allowtrustedip": "0"})
	s.user("webuser", "webpass1", engine.TypeEndUser, 12.5)
	c := dialWS(t, s.base, "api")
	if got := c.Subprotocol(); got != "api" {
		t.Fatalf("negotiated sub-protocol %q, want api", got)
	}
	wsURL := "wss://voip.example/mvstwebsock/mvapireq/?"
	balance := webphoneQuery("balance", s.key, "webuser", "webpass1", "")
	// The WebPhone writes all three before it reads: the answers must come
	// back in order.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, msg := range []string{
		wsURL + "apientry=apitest1&now=415\r\n",
		wsURL + "mcrfs=" + webphone.EncodeXOR(balance, wire.DefaultXORKey) + "\r\n",
		wsURL + webphoneQuery("balance", s.key, "webuser", "wrongpass", "") + "\r\n",
	} {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"OK: API test (127.0.0.1)", "Your credit is $12.5", "ERROR: auth failed"} {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("answer %d: %v", i+1, err)
		}
		wantPrefix(t, string(data), want)
	}
	// Other line shapes and a requested format.
	wantPrefix(t, wsRoundTrip(t, c, "/mvapireq/?apientry=apitest1"), "OK: API test")
	wantPrefix(t, wsRoundTrip(t, c, "apientry=apitest1&format=json"), "{")
}

func TestWebSocketWithoutSubprotocol(t *testing.T) {
	s := startServer(t, "", nil)
	c := dialWS(t, s.base)
	if got := c.Subprotocol(); got != "" {
		t.Fatalf("sub-protocol %q chosen though the client offered none", got)
	}
	wantPrefix(t, wsRoundTrip(t, c, "apientry=apitest1"), "OK: API test (127.0.0.1)")
}

func TestWebSocketOversizedMessageCloses(t *testing.T) {
	s := startServer(t, "", map[string]string{"maxrequestbytes": "2048"})
	c := dialWS(t, s.base, "api")
	wantPrefix(t, wsRoundTrip(t, c, "apientry=apitest1"), "OK")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte("apientry=apitest1&pad="+strings.Repeat("x", 4096)))
	_, _, err := c.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Fatalf("after an oversized message: status %v (err %v), want 1009 message too big", got, err)
	}
}

func TestWebSocketClosedOnShutdown(t *testing.T) {
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "ws.db"), Listen: "127.0.0.1:0",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		m.Close()
		t.Fatal(err)
	}
	c := dialWS(t, m.URL(), "api")
	wantPrefix(t, wsRoundTrip(t, c, "apientry=apitest1"), "OK")
	readErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, _, err := c.Read(ctx)
		readErr <- err
	}()
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown with an open WebSocket took %v", d)
	}
	if got := websocket.CloseStatus(<-readErr); got != websocket.StatusGoingAway {
		t.Fatalf("close status %v on shutdown, want 1001 going away", got)
	}
}

func TestJPPGet(t *testing.T) {
	s := startServer(t, "", map[string]string{"allowtrustedip": "0", "enablejsonp": "2"})
	s.user("webuser", "webpass1", engine.TypeEndUser, 12.5)
	remote := "https://elsewhere.example/mvapireq/?" + webphoneQuery("balance", s.key, "webuser", "webpass1", "")
	path := "/mvapireq/jppget?url=" + url.QueryEscape(remote) + "&callback=cb"
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `cb({"contents":"Your credit is $12.5"});`; string(body) != want {
		t.Fatalf("jppget answered %q, want %q", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/javascript") {
		t.Fatalf("Content-Type %q", ct)
	}
	_, body2 := s.getRaw("/mvapireq/jppget?url=" + url.QueryEscape(remote) + "&callback=" + url.QueryEscape("alert(1)//"))
	wantPrefix(t, body2, "ERROR")
	_, body3 := s.getRaw("/mvapireq/jppget?url=" + url.QueryEscape("http://x/mvapireq/?apientry=apitest1") + "&callback=j.q_1")
	if want := `j.q_1({"contents":"OK: API test (127.0.0.1)"});`; body3 != want {
		t.Fatalf("jppget answered %q, want %q", body3, want)
	}
}

func TestJPPGetNeedsEnableJSONP2(t *testing.T) {
	s := startServer(t, "", nil) // enablejsonp=1
	status, _ := s.getRaw("/mvapireq/jppget?url=" + url.QueryEscape("/mvapireq/?apientry=apitest1") + "&callback=cb")
	if status != http.StatusNotFound {
		t.Fatalf("jppget with enablejsonp=1: status %d, want 404", status)
	}
}
