package main

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// nodeSets: the propagation test polls with an md5 that fails until the new
// config arrives, so the brute-force lockout is off here.
var nodeSets = map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1", "changepoll": "1", "authlockoutfailures": "0"}

// TestReloadReachesEveryNode runs 3 nodes on one database: apireload and
// reload sent to node 1 take effect on nodes 2 and 3.
func TestReloadReachesEveryNode(t *testing.T) { mvtest.ForEachDB(t, testReloadReachesEveryNode) }

func testReloadReachesEveryNode(t *testing.T, dsn string) {
	nodes := []*testServer{startServer(t, dsn, nodeSets), startServer(t, dsn, nodeSets), startServer(t, dsn, nodeSets)}
	n1 := nodes[0]
	n1.user("wendy", "wendypass", engine.TypeEndUser, 6)
	n1.user("root", "adminpw1", engine.TypeAdmin, 0)
	auth := n1.md5Auth("wendy", "wendypass")

	n1.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('everywhere', 'SELECT ''here''')`)
	start := time.Now()
	wantPrefix(t, n1.apireload("root", "adminpw1"), "OK: apireload:")
	for i, n := range nodes[1:] {
		waitFor(t, 5*time.Second, func() bool {
			_, body := n.get(append([]string{"apientry", "everywhere"}, auth...)...)
			return body == "OK: here"
		})
		t.Logf("node %d serves the new entry %v after apireload on node 1", i+2, time.Since(start).Round(time.Millisecond))
	}

	// reload: a new server salt reaches the other nodes' md5 check.
	n1.exec("INSERT INTO tb_globalconfig (name, value) VALUES ('apiv2md5salt', 'pepper')")
	_, body := n1.get("apientry", "reload", "authkey", n1.key, "authid", "root", "authpwd", "adminpw1")
	wantPrefix(t, body, "OK: config reloaded")
	salted := []string{"apientry", "balance", "authkey", n1.key, "authid", "wendy", "authsalt1", "9", "authmd5", engine.AuthMD5("wendy", "wendypass", "pepper", "9")}
	start = time.Now()
	for i, n := range nodes[1:] {
		waitFor(t, 5*time.Second, func() bool {
			_, body := n.get(salted...)
			return strings.HasPrefix(body, "Your credit is $6")
		})
		t.Logf("node %d uses the new config %v after reload on node 1", i+2, time.Since(start).Round(time.Millisecond))
	}
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not true within %v", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDatabaseOutageAnswersErrorThenRecovers puts a TCP proxy between mvapi
// and PostgreSQL and cuts it: requests answer ERROR within requesttimeout,
// and once the proxy is back they answer OK without restarting mvapi.
func TestDatabaseOutageAnswersErrorThenRecovers(t *testing.T) {
	mvtest.NeedPostgres(t)
	dsn := mvtest.FreshDSN(t, "postgres")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	sets := map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1", "requesttimeout": "2"}
	s := startServer(t, u.String(), sets)
	s.user("xena", "xenapass", engine.TypeEndUser, 2)
	balance := append([]string{"apientry", "balance"}, s.md5Auth("xena", "xenapass")...)
	_, body := s.get(balance...)
	wantPrefix(t, body, "Your credit is $2")

	for _, mode := range []string{"refuse", "blackhole"} {
		p.cut(mode)
		start := time.Now()
		status, body := s.get(balance...)
		took := time.Since(start)
		t.Logf("database down (%s): %d %q after %v", mode, status, body, took.Round(time.Millisecond))
		if status != 499 || !strings.HasPrefix(body, "ERROR: ") {
			t.Fatalf("database down (%s): %d %q", mode, status, body)
		}
		if took > 4*time.Second {
			t.Fatalf("database down (%s): answered after %v, requesttimeout is 2s", mode, took)
		}
		p.restore()
		start = time.Now()
		waitFor(t, 10*time.Second, func() bool {
			_, body := s.get(balance...)
			return strings.HasPrefix(body, "Your credit is $2")
		})
		t.Logf("recovered %v after the database came back", time.Since(start).Round(time.Millisecond))
	}
}

// tcpProxy forwards a loopback port to target; cut makes it refuse new
// connections ("refuse") or swallow them ("blackhole") and drops the open
// ones; restore forwards again on the same port.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	mode   string
	ln     net.Listener
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.listen()
	t.Cleanup(func() { p.cut("refuse") })
	return p
}

func (p *tcpProxy) listen() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			mode := p.mode
			p.conns[c] = true
			p.mu.Unlock()
			if mode == "blackhole" {
				continue // hold it open, never answer
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

func (p *tcpProxy) cut(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	if mode == "refuse" && p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mode = ""
	relisten := p.ln == nil
	p.mu.Unlock()
	if relisten {
		p.listen()
	}
}
