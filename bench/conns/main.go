// Command conns holds connections open against an mvapi server so that
// bench/all.sh can read its RSS under them: -http keep-alive HTTP/1.1
// connections (each answered one apitest1 request and stays open) and -ws
// WebSocket connections (path /mvstwebsock, sub-protocol api, each
// answered one request). It prints "open N" once all are open and holds
// them until it is killed.
//
//	conns -addr 127.0.0.1:PORT -http 500 -ws 500
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	nHTTP := flag.Int("http", 500, "keep-alive HTTP connections")
	nWS := flag.Int("ws", 500, "WebSocket connections")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var keep []any
	for i := range *nHTTP {
		c, err := net.DialTimeout("tcp", *addr, 5*time.Second)
		if err != nil {
			fail("http %d: %v", i, err)
		}
		fmt.Fprintf(c, "GET /mvapireq/?apientry=apitest1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			fail("http %d: %v", i, err)
		}
		resp.Body.Close()
		keep = append(keep, c)
	}
	for i := range *nWS {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, _, err := websocket.Dial(dctx, fmt.Sprintf("ws://%s/mvstwebsock?requestid=%d", *addr, i),
			&websocket.DialOptions{Subprotocols: []string{"api"}})
		if err != nil {
			cancel()
			fail("ws %d: %v", i, err)
		}
		if err := c.Write(dctx, websocket.MessageText, []byte("http://"+*addr+"/mvstwebsock/mvapireq/?apientry=apitest1\r\n")); err != nil {
			cancel()
			fail("ws %d: %v", i, err)
		}
		if _, msg, err := c.Read(dctx); err != nil || !strings.Contains(string(msg), "OK") {
			cancel()
			fail("ws %d: %q %v", i, msg, err)
		}
		cancel()
		keep = append(keep, c)
	}
	fmt.Printf("open %d\n", len(keep))
	<-ctx.Done()
}

func fail(f string, args ...any) {
	fmt.Fprintf(os.Stderr, "conns: "+f+"\n", args...)
	os.Exit(1)
}
