package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
)

// TestFailoverSyncReplication: a primary and a synchronous streaming
// replica, two mvapi nodes on the multi-host DSN (node 2 hears reloads by
// LISTEN only: changepoll=3600), 8 workers of transfers and balance for
// ~15 s; at ~3 s the primary crashes (-m immediate) and the replica is
// promoted. Errors stay inside a window < 5 s, every request after it
// succeeds, no node restarts, money is conserved, every transfer answered
// OK is in the credit log by its request id, and an apireload sent to node
// 1 after the failover reaches node 2 within 1 s.
func TestFailoverSyncReplication(t *testing.T) { testFailover(t, true) }

// TestFailoverAsyncReplication is the same with asynchronous replication:
// transfers answered OK just before the crash may be lost (reported, not
// failed), but money is conserved on the promoted node.
func TestFailoverAsyncReplication(t *testing.T) { testFailover(t, false) }

func testFailover(t *testing.T, sync bool) {
	if testing.Short() {
		t.Skip("-short: a 15 s failover run")
	}
	r := newPGRunner(t)
	standby := ""
	if sync {
		standby = "replica1"
	}
	primary := r.initPrimary("primary", standby)
	replica := r.standby(primary, "replica1")
	primary.waitStreaming("replica1", sync)

	dsn := "postgres://postgres@" + primary.addr() + "," + replica.addr() +
		"/postgres?sslmode=disable&target_session_attrs=read-write&connect_timeout=2"
	sets := failoverSets()
	n1 := startNode(t, dsn, sets)
	sets2 := failoverSets()
	sets2["changepoll"] = "3600" // reloads reach node 2 by NOTIFY only
	n2 := startNode(t, dsn, sets2)

	users := seedUsers(t, n1, 16, 1000)
	start := creditsOf(t, n1.m.DB.DB, users)

	ld := newLoad(t, []*testServer{n1, n2}, users)
	ld.run(8, 15*time.Second, 3*time.Second, func() {
		ld.mark("crashed") // from the moment the stop begins
		primary.crash()
		replica.promote()
		ld.mark("promoted")
	})
	rep := ld.report()
	t.Logf("sync=%v: %d requests (%d transfers OK, %d balance OK), %d failed (%d outcome unknown, retried), error window %v (first error %v after the crash began), crash and promote took %v",
		sync, rep.total, rep.transfersOK, rep.balancesOK, rep.failed, rep.unknown, rep.window.Round(time.Millisecond),
		rep.firstErrAfterCrash.Round(time.Millisecond), rep.promoteTook.Round(time.Millisecond))
	for _, e := range rep.samples {
		t.Logf("  failed: %s", e)
	}
	if rep.errBeforeCrash > 0 {
		t.Errorf("%d requests failed before the crash", rep.errBeforeCrash)
	}
	// The nodes' part of the window: from the promoted primary being up
	// (pg_ctl promote -w returned) to the last failed request. PostgreSQL's
	// own crash and promote take 0.1-0.2 s here, and 5 s on a machine busy
	// with other tests (CI, the browser's): that part is not the nodes'.
	if afterPromote := rep.firstErrAfterCrash + rep.window - rep.promoteTook; afterPromote >= 5*time.Second {
		t.Errorf("error window %v, of it %v after PostgreSQL's crash and promote (%v): want < 5 s", rep.window, afterPromote, rep.promoteTook)
	}
	if rep.okAfterWindow < 50 {
		t.Errorf("only %d requests succeeded after the error window: the nodes did not recover", rep.okAfterWindow)
	}

	// Money: conserved, and every user's credit is its start plus its log.
	db := replica.open()
	end := creditsOf(t, db, users)
	var before, after float64
	for i, id := range users {
		before += start[i]
		after += end[i]
		var logged float64
		if err := db.Get(&logged, "SELECT COALESCE(SUM(amount), 0) FROM tb_creditlog WHERE userid = $1", id); err != nil {
			t.Fatal(err)
		}
		if diff := end[i] - (start[i] + logged); diff > 1e-6 || diff < -1e-6 {
			t.Errorf("user %d: credit %v, start %v + log %v", id, end[i], start[i], logged)
		}
	}
	if after != before {
		t.Errorf("credit total %v after the failover, %v before", after, before)
	}
	lost := lostTransfers(t, db, rep.okReqIDs)
	t.Logf("sync=%v: %d of %d transfers answered OK are not in the promoted node's credit log", sync, lost, len(rep.okReqIDs))
	if sync && lost > 0 {
		t.Errorf("synchronous replication lost %d transfers answered OK", lost)
	}

	// apireload on node 1 reaches node 2 (LISTEN only) after the failover.
	root := "failroot"
	n1.user(root, "rootpass1", engine.TypeAdmin, 0)
	n1.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('afterfailover', 'SELECT ''moved''')`)
	auth := n2.md5Auth(users0, "pw-"+users0)
	sent := time.Now()
	wantPrefix(t, n1.apireload(root, "rootpass1"), "OK: apireload:")
	var took time.Duration
	for {
		_, body := n2.get(append([]string{"apientry", "afterfailover"}, auth...)...)
		if body == "OK: moved" {
			took = time.Since(sent)
			break
		}
		if time.Since(sent) > 5*time.Second {
			t.Fatalf("apireload did not reach node 2 within 5 s after the failover (last answer %q)", body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("sync=%v: apireload reached node 2 (changepoll=3600, LISTEN only) %v after it was sent to node 1, after the failover", sync, took.Round(time.Millisecond))
	mode := "async"
	if sync {
		mode = "sync"
	}
	// One line with every figure issue 17 asks for, to copy from go test -v.
	figures(t, "failover replication=%s requests=%d failed=%d outcome_unknown=%d error_window=%v lost_ok_transfers=%d of %d apireload_to_node2=%v",
		mode, rep.total, rep.failed, rep.unknown, rep.window.Round(time.Millisecond), lost, len(rep.okReqIDs), took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("apireload took %v to reach node 2, want < 1 s", took)
	}
}

// failoverSets: loopback untrusted, no lockout or rate limit (the load
// would trip them), a short request timeout.
func failoverSets() map[string]string {
	return map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1", "authlockoutfailures": "0",
		"ratelimitip": "0", "ratelimituser": "0", "requesttimeout": "5", "maxtransfercredit": "1000"}
}

// startNode is startServer with the node's log kept for the test (shown
// when it fails).
func startNode(t *testing.T, dsn string, sets map[string]string) *testServer {
	t.Helper()
	lw := &testLogWriter{}
	m := &Main{DSN: dsn, Listen: "127.0.0.1:0", Sets: sets, Log: slog.New(slog.NewTextHandler(lw, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Close()
		if t.Failed() {
			t.Logf("log of node %s:\n%s", m.URL(), lw.String())
		}
	})
	s := &testServer{t: t, m: m, base: m.URL(), key: m.Engine.Config().APIKey}
	nodeLogs.Store(s, lw)
	return s
}

var nodeLogs sync.Map // *testServer -> *testLogWriter

type testLogWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len() < 1<<20 {
		w.b.Write(p)
	}
	return len(p), nil
}

func (w *testLogWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.b.String() }

// users0 is the first seeded user, used for reads.
const users0 = "fo00"

// seedUsers adds n end users fo00.. with credit each; passwords pw-NAME.
func seedUsers(t *testing.T, s *testServer, n int, credit float64) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		name := fmt.Sprintf("fo%02d", i)
		ids[i] = s.user(name, "pw-"+name, engine.TypeEndUser, credit)
	}
	return ids
}

func creditsOf(t *testing.T, db *sqlx.DB, ids []int64) []float64 {
	t.Helper()
	out := make([]float64, len(ids))
	for i, id := range ids {
		if err := db.Get(&out[i], "SELECT credit FROM tb_users WHERE id = $1", id); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// load drives transfers and balance requests against the nodes and keeps
// every outcome.
type load struct {
	t      *testing.T
	nodes  []*testServer
	users  []int64
	client *http.Client

	mu      sync.Mutex
	results []result
	marks   map[string]time.Time
	began   time.Time
}

type result struct {
	start, end time.Time
	transfer   bool
	ok         bool
	unknown    bool
	reqid      string
	answer     string
}

func newLoad(t *testing.T, nodes []*testServer, users []int64) *load {
	return &load{t: t, nodes: nodes, users: users, marks: map[string]time.Time{},
		client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

func (l *load) mark(name string) { l.mu.Lock(); l.marks[name] = time.Now(); l.mu.Unlock() }

// run starts workers for d; at after it calls event (when not nil).
func (l *load) run(workers int, d, after time.Duration, event func()) {
	l.began = time.Now()
	stop := l.began.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.worker(w, stop)
		}()
	}
	if event != nil {
		time.Sleep(after)
		event()
	}
	wg.Wait()
}

func (l *load) worker(w int, stop time.Time) {
	node := l.nodes[w%len(l.nodes)]
	rng := rand.New(rand.NewPCG(uint64(w), 17))
	for seq := 0; time.Now().Before(stop); seq++ {
		a := rng.IntN(len(l.users))
		b := (a + 1 + rng.IntN(len(l.users)-1)) % len(l.users)
		from, to := fmt.Sprintf("fo%02d", a), fmt.Sprintf("fo%02d", b)
		reqid := fmt.Sprintf("w%d-%d", w, seq)
		kv := append([]string{"apientry", "transfercredit", "username", to, "credit", "1", "reqid", reqid}, authOf(node, from)...)
		// A lost COMMIT is retried with the same reqid: the retry answers
		// the first outcome or makes the transfer once.
		for try := 0; ; try++ {
			res := l.do(node, kv)
			res.transfer, res.reqid = true, reqid
			res.unknown = strings.Contains(res.answer, "outcome unknown")
			l.add(res)
			if !res.unknown || try >= 20 || time.Now().After(stop.Add(5*time.Second)) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		l.add(l.do(node, append([]string{"apientry", "balance"}, authOf(node, from)...)))
	}
}

func authOf(s *testServer, name string) []string {
	return []string{"authkey", s.key, "authid", name, "authpwd", "pw-" + name}
}

func (l *load) do(s *testServer, kv []string) result {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	res := result{start: time.Now()}
	resp, err := l.client.Get(s.base + "/mvapireq/?" + v.Encode())
	if err != nil {
		res.answer = "http: " + err.Error()
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res.answer = string(b)
		res.ok = resp.StatusCode == 200 && (strings.HasPrefix(res.answer, "OK: ") || strings.HasPrefix(res.answer, "Your credit is"))
	}
	res.end = time.Now()
	return res
}

func (l *load) add(r result) { l.mu.Lock(); l.results = append(l.results, r); l.mu.Unlock() }

type loadReport struct {
	total, failed, unknown, errBeforeCrash  int
	transfersOK, balancesOK, okAfterWindow  int
	window, firstErrAfterCrash, promoteTook time.Duration
	okReqIDs                                []string
	samples                                 []string
	errors                                  []string
}

func (l *load) report() loadReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rep loadReport
	crash, crashed := l.marks["crashed"]
	if p, ok := l.marks["promoted"]; ok && crashed {
		rep.promoteTook = p.Sub(crash)
	}
	var first, last time.Time
	seen := map[string]bool{}
	for _, r := range l.results {
		rep.total++
		if r.ok {
			if r.transfer {
				rep.transfersOK++
				rep.okReqIDs = append(rep.okReqIDs, r.reqid)
			} else {
				rep.balancesOK++
			}
			continue
		}
		rep.failed++
		rep.errors = append(rep.errors, r.answer)
		if r.unknown {
			rep.unknown++
		}
		if !crashed || r.end.Before(crash) {
			rep.errBeforeCrash++
		}
		if first.IsZero() || r.start.Before(first) {
			first = r.start
		}
		if r.end.After(last) {
			last = r.end
		}
		key := r.answer
		if len(key) > 120 {
			key = key[:120]
		}
		if !seen[key] && len(rep.samples) < 6 {
			seen[key] = true
			rep.samples = append(rep.samples, key)
		}
	}
	if !first.IsZero() {
		rep.window = last.Sub(first)
		if crashed {
			rep.firstErrAfterCrash = first.Sub(crash)
		}
	}
	for _, r := range l.results {
		if r.ok && r.start.After(last) {
			rep.okAfterWindow++
		}
	}
	return rep
}
