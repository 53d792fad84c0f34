package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// close, exit and quit end a raw TCP or WebSocket session, as on the
// console.
func TestQuitEndsRawTCPAndWebSocketSessions(t *testing.T) {
	s := startLineServer(t, nil)
	for _, word := range []string{"close", "EXIT", "quit"} {
		conn, err := net.Dial("tcp", s.m.TCPAddr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, "apientry=apitest1\r\n"+word+"\r\n")
		r := bufio.NewReader(conn)
		line, _ := r.ReadString('\n')
		wantPrefix(t, line, "OK: API test")
		if rest, err := r.ReadString('\n'); err != io.EOF {
			t.Fatalf("%s: read %q, %v; want the connection closed", word, rest, err)
		}
		conn.Close()
	}
	c := dialWS(t, s.base, "api")
	wantPrefix(t, wsRoundTrip(t, c, "/mvapireq/?apientry=apitest1"), "OK: API test")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("quit\r\n")); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after quit: %v, want a normal closure", err)
	}
}
