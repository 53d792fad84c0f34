package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestDatabaseOutageLogsFewLines: the real binary on PostgreSQL through a
// TCP proxy; the proxy is cut while 8 clients keep asking for balance. Every
// request fails and would log one ERROR; the log collapses them to a first
// line and one summary per 10 s, well under 100 lines per minute.
func TestDatabaseOutageLogsFewLines(t *testing.T) {
	mvtest.NeedPostgres(t)
	bin := buildBinary(t)
	dsn := mvtest.FreshDSN(t, "postgres")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr
	p := startProc(t, bin, freeAddr(t), "--db", u.String(), "--set", "allowtrustedip=0", "--set", "authlockoutfailures=0", "--set", "requesttimeout=2")
	db := openDB(t, dsn)
	if _, err := engine.CreateUser(context.Background(), db, engine.NewUser{Username: "flood", Password: "floodpass", Type: engine.TypeEndUser, Credit: 3, Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"apientry": {"balance"}, "authkey": {mvtest.APIKey(t, db)}, "authid": {"flood"}, "authpwd": {"floodpass"}}.Encode()
	if body := p.get(q); !strings.HasPrefix(body, "Your credit is $3") {
		t.Fatal(body)
	}

	const outage = 25 * time.Second
	before := len(p.log.lines)
	px.cut("refuse")
	var requests, failed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(outage)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				body, err := p.tryGet(q)
				requests.Add(1)
				if err == nil && strings.HasPrefix(body, "ERROR") {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	px.restore()
	p.log.mu.Lock()
	during := append([]string(nil), p.log.lines[before:]...)
	p.log.mu.Unlock()
	held := 0
	for _, l := range during {
		if i := strings.Index(l, " repeated="); i >= 0 {
			var n int
			fmt.Sscanf(l[i+len(" repeated="):], "%d", &n)
			held += n
		}
	}
	perMinute := float64(len(during)) * float64(time.Minute) / float64(outage)
	t.Logf("outage of %v: %d requests (%d answered ERROR), %d log lines (%.0f per minute), %d more lines held back in summaries", outage, requests.Load(), failed.Load(), len(during), perMinute, held)
	if failed.Load() < 100 {
		t.Fatalf("only %d failed requests: not a flood", failed.Load())
	}
	if perMinute >= 100 {
		t.Fatalf("%d log lines in %v (%.0f per minute):\n%s", len(during), outage, perMinute, strings.Join(during, "\n"))
	}
	waitFor(t, 20*time.Second, func() bool {
		body, err := p.tryGet(q)
		return err == nil && strings.HasPrefix(body, "Your credit is $3")
	})
}
