package main

import (
	"database/sql/driver"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/schema"

	"modernc.org/sqlite"
)

// TestSlowCustomSQLIsolation: six concurrent customsql queries of 3 s
// (pg_sleep on PostgreSQL, mvsleep, a test function that sleeps, on
// SQLite) while 4 clients load balance and getdetails (getdetails reads the
// database; balance answers from the user cache once authenticated). The
// main pool has 4 connections. With customsql on its own pool
// (customsqlconns, the default) the load keeps its latency; with
// customsqlconns=0 (one shared pool, the behaviour before the fix) the six
// queries take every main connection and the load stalls for about as long
// as a slow query.
//
// The figure is a p99 under 50 ms. The test machine runs many tests
// at once on 2 cores (load ~15), where even the baseline has tail
// latencies of tens of milliseconds and a single request may be held up
// for most of a second (seen: 937 ms at load 13), so the test asserts,
// with isolation, p99 < 500 ms and max < 1.5 s (half a slow query), and
// logs the figures. The stall without isolation is asserted on the max
// latency: a blocked client sends nothing while it waits, so the stall is
// only 4 samples among thousands and hides below the p99 (coordinated
// omission); the max shows it (> 2 s, a slow query less the 200 ms before
// the load starts and the machine's delays).
func TestSlowCustomSQLIsolation(t *testing.T) { mvtest.ForEachDB(t, testSlowCustomSQLIsolation) }

func testSlowCustomSQLIsolation(t *testing.T, dsn string) {
	if testing.Short() {
		t.Skip("slow: runs 3 s queries")
	}
	isoBase, isoSlow := runSlowCustomSQL(t, mvtest.FreshDSN(t, dbKind(dsn)), "-1")
	shBase, shSlow := runSlowCustomSQL(t, dsn, "0")
	t.Logf("own customsql pool: alone %v; beside 6 slow customsql %v", isoBase, isoSlow)
	t.Logf("shared pool (customsqlconns=0): alone %v; beside 6 slow customsql %v", shBase, shSlow)
	if isoSlow.p99 > 500*time.Millisecond || isoSlow.max > 1500*time.Millisecond {
		t.Errorf("own customsql pool: latency beside slow customsql %v, want p99 < 500 ms and max < 1.5 s (issue: p99 50 ms on an idle machine)", isoSlow)
	}
	if shSlow.max < 2*time.Second {
		t.Errorf("shared pool: latency beside slow customsql %v, want a stall > 2 s: the test does not show the fault", shSlow)
	}
}

func dbKind(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return "sqlite"
	}
	return "postgres"
}

// runSlowCustomSQL starts a server with customsqlconns=conns and 4 main
// connections, and returns balance's p99 alone and while six slow
// customsql queries run.
func runSlowCustomSQL(t *testing.T, dsn, conns string) (base, slow stats) {
	sets := map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1",
		"dbmaxconns": "4", "customsqlconns": conns, "sqltimeout": "60", "requesttimeout": "60"}
	s := startServer(t, dsn, sets)
	s.user("dave", "secret11", engine.TypeEndUser, 4.5)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	q := `SELECT 1 FROM pg_sleep(3)`
	if s.m.DB.Dialect == schema.SQLite {
		q = `SELECT mvsleep(3000)`
	}
	s.exec(`INSERT INTO tb_api (fname, req_key, req_user, customsql) VALUES ('slowreport', 1, 12, ?)`, q)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK: apireload: ")

	if _, body := s.get(append([]string{"apientry", "slowreport"}, s.md5Auth("root", "adminpw1")...)...); !strings.HasPrefix(body, "OK") {
		t.Fatalf("slowreport as admin: %q", body)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}
	call := func(kv ...string) (string, error) {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		resp, err := client.Get(s.base + "/mvapireq/?" + v.Encode())
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	// load runs 4 balance clients until stop is closed and returns p99.
	load := func(stop <-chan struct{}) stats {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					entry, want := "balance", "Your credit is"
					if i%2 == 1 {
						entry, want = "getdetails", "OK"
					}
					start := time.Now()
					body, err := call(append([]string{"apientry", entry}, s.md5Auth("dave", "secret11")...)...)
					d := time.Since(start)
					if err != nil || !strings.HasPrefix(body, want) {
						t.Errorf("%s: %q %v", entry, body, err)
						return
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return stats{n: len(lat), p99: p99(lat), max: slices.Max(append(lat, 0))}
	}
	stop := make(chan struct{})
	time.AfterFunc(1500*time.Millisecond, func() { close(stop) })
	base = load(stop)

	var slowWG sync.WaitGroup
	done := make(chan struct{})
	for range 6 {
		slowWG.Go(func() {
			body, err := call(append([]string{"apientry", "slowreport"}, s.md5Auth("dave", "secret11")...)...)
			if err != nil || !strings.HasPrefix(body, "OK") {
				t.Errorf("slowreport: %q %v", body, err)
			}
		})
	}
	go func() { slowWG.Wait(); close(done) }()
	time.Sleep(200 * time.Millisecond) // the slow queries hold their connections
	slow = load(done)
	return base, slow
}

// mvsleep(ms) is a SQLite function for the tests that waits without using
// the CPU, like pg_sleep: a slow DBA query that only holds its connection.
func init() {
	sqlite.MustRegisterScalarFunction("mvsleep", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		ms, _ := args[0].(int64)
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return ms, nil
	})
}

type stats struct {
	n        int
	p99, max time.Duration
}

func (s stats) String() string { return fmt.Sprintf("p99 %v max %v (%d requests)", s.p99, s.max, s.n) }

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[(len(lat)*99)/100]
}
