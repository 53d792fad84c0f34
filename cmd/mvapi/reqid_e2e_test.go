package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestIdempotencyKeyHeader: the HTTP Idempotency-Key header is the
// request's reqid: a retried POST transfers once and answers the same.
func TestIdempotencyKeyHeader(t *testing.T) { mvtest.ForEachDB(t, testIdempotencyKeyHeader) }

func testIdempotencyKeyHeader(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("hana", "hanapass", engine.TypeEndUser, 5)
	s.user("hugo", "hugopass", engine.TypeEndUser, 0)
	v := url.Values{}
	kv := append([]string{"apientry", "transfercredit", "username", "hugo", "credit", "1"}, s.md5Auth("hana", "hanapass")...)
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	post := func() string {
		req, _ := http.NewRequest("POST", s.base+"/mvapireq/", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", "3b1f-retry-me")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	first, second := post(), post()
	wantPrefix(t, first, "OK: transferred 1 USD to hugo; your credit is 4")
	if second != first {
		t.Fatalf("retry answered %q, first %q", second, first)
	}
	var n int
	if err := s.m.DB.Get(&n, s.m.DB.Dialect.Rebind("SELECT COUNT(*) FROM tb_creditlog WHERE reqid = ?"), "3b1f-retry-me"); err != nil || n != 2 {
		t.Fatalf("%d log rows for the key (%v), want 2", n, err)
	}
}

// TestLostCommitAnswersOutcomeUnknown cuts the connection to PostgreSQL
// right after a transfer's COMMIT left for the server: the client gets
// "outcome unknown, retry with the same reqid" (not a generic error), and
// the retry answers the committed transfer without moving money again.
func TestLostCommitAnswersOutcomeUnknown(t *testing.T) {
	mvtest.NeedPostgres(t)
	dsn := mvtest.FreshDSN(t, "postgres")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startCommitCutter(t, u.Host)
	u.Host = p.addr
	s := startServer(t, u.String(), strictSets)
	s.user("lana", "lanapass", engine.TypeEndUser, 5)
	s.user("leo", "leopass", engine.TypeEndUser, 0)
	transfer := append([]string{"apientry", "transfercredit", "username", "leo", "credit", "1", "reqid", "lost-1"}, s.md5Auth("lana", "lanapass")...)

	p.arm()
	_, body := s.get(transfer...)
	t.Logf("answer when the COMMIT acknowledgement is lost: %q", body)
	if body != "ERROR: outcome unknown, retry with the same reqid" {
		t.Fatalf("lost COMMIT answered %q", body)
	}
	var credit float64
	waitFor(t, 10*time.Second, func() bool {
		_, body = s.get(transfer...)
		return strings.HasPrefix(body, "OK: ")
	})
	wantPrefix(t, body, "OK: transferred 1 USD to leo; your credit is 4")
	if err := s.m.DB.Get(&credit, s.m.DB.Dialect.Rebind("SELECT credit FROM tb_users WHERE username = ?"), "leo"); err != nil || credit != 1 {
		t.Fatalf("leo has %v (%v), want 1: the retry must not transfer again", credit, err)
	}
}

// commitCutter forwards a loopback port to target; once armed, it passes
// the next client message that contains COMMIT to the server and then
// closes the client's side, so the server commits but the answer is lost.
type commitCutter struct {
	target, addr string
	mu           sync.Mutex
	armed        bool
}

func startCommitCutter(t *testing.T, target string) *commitCutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &commitCutter{target: target, addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return p
}

func (p *commitCutter) arm() { p.mu.Lock(); p.armed = true; p.mu.Unlock() }

func (p *commitCutter) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	go func() { io.Copy(c, up); c.Close() }()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := up.Write(buf[:n]); werr != nil {
				break
			}
			p.mu.Lock()
			cut := p.armed && bytes.Contains(bytes.ToLower(buf[:n]), []byte("commit"))
			if cut {
				p.armed = false
			}
			p.mu.Unlock()
			if cut {
				c.Close()                          // the answer never reaches mvapi
				time.Sleep(500 * time.Millisecond) // the server commits meanwhile
				break
			}
		}
		if err != nil {
			break
		}
	}
	up.Close()
	c.Close()
}
