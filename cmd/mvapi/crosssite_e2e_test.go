package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestWebPagesGetNoLoopbackTrust: loopback is trusted (admin without
// credentials), but not for a request a web page made: one with an Origin,
// a Referer, a cross-site Sec-Fetch-Site, a JSONP callback, or a WebSocket
// opened by a page.
func TestWebPagesGetNoLoopbackTrust(t *testing.T) {
	s := startServer(t, "", nil)
	get := func(query string, header map[string]string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", s.base+"/mvapireq/?"+query, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	wantPrefix(t, get("apientry=apireload", nil), "OK: apireload:")
	wantPrefix(t, get("apientry=apireload", map[string]string{"Sec-Fetch-Site": "none"}), "OK: apireload:")
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Referer": "https://evil.example/page.html"},
		{"Sec-Fetch-Site": "cross-site"},
	} {
		wantPrefix(t, get("apientry=apireload", h), "ERROR: auth failed")
	}
	if body := get("apientry=apireload&callback=cb", nil); !strings.Contains(body, "auth failed") {
		t.Fatalf("JSONP from loopback answered %q", body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(s.base, "http") + "/mvstwebsock"
	for origin, want := range map[string]string{"": "OK: apireload:", "https://evil.example": "ERROR: auth failed"} {
		opts := &websocket.DialOptions{Subprotocols: []string{"api"}, HTTPHeader: http.Header{}}
		if origin != "" {
			opts.HTTPHeader.Set("Origin", origin)
		}
		c, _, err := websocket.Dial(ctx, wsURL, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("/mvapireq/?apientry=apireload\r\n")); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.Close(websocket.StatusNormalClosure, "")
		if !strings.HasPrefix(string(got), want) {
			t.Errorf("websocket with Origin %q answered %q, want %q", origin, got, want)
		}
	}
}
