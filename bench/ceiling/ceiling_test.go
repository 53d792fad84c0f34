package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mvapi/internal/mvtest"
	"mvapi/schema"
	"mvapi/transport"
)

// The benchmarks below run the ceiling's handler and mvapi's HTTP handler
// in-process on the same seeded database, without sockets, so that their
// CPU cost can be compared (and profiled) on a noisy machine:
//
//	go test ./bench/ceiling -run '^$' -bench . -benchmem -cpuprofile cpu.out
//	go tool pprof -top -cum ceiling.test cpu.out
//
// BENCH_PARALLEL=n runs n requests at once per CPU (default 1). They run
// on SQLite; with BENCH_DB=postgres on a fresh schema of the
// server MVAPI_TEST_POSTGRES names (as the database tests do).

const benchUsers = 10000

// benchDB opens the benchmarks' database: SQLite, or PostgreSQL when
// BENCH_DB=postgres.
func benchDB(b *testing.B) *schema.DB {
	b.Helper()
	switch kind := os.Getenv("BENCH_DB"); kind {
	case "", "sqlite":
		return mvtest.MustDB(b)
	case "postgres":
		if os.Getenv(mvtest.EnvPostgres) == "" {
			b.Fatalf("BENCH_DB=postgres needs %s (a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", mvtest.EnvPostgres)
		}
		return mvtest.MustOpen(b, mvtest.FreshDSN(b, kind))
	default:
		b.Fatalf("BENCH_DB=%q: use sqlite or postgres", kind)
	}
	return nil
}

func seedUsers(tb testing.TB, db *schema.DB) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	for i := 1; i <= benchUsers; i++ {
		name := fmt.Sprintf("bench%05d", i)
		if _, err := tx.ExecContext(ctx, db.Dialect.Rebind("INSERT INTO tb_users (type, username, password, credit) VALUES (0, ?, ?, 10)"),
			name, "pw"+name); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// requests builds balance requests for random users, as bench/balance.lua.
func requests(key string) []*http.Request { return entryRequests("balance", key) }

// entryRequests builds requests of entry with authpwd for random users.
// The Host is 127.0.0.1, as wrk's: a request that may get IP trust, as
// in make bench (allowtrustedip=0 gives none).
func entryRequests(entry, key string) []*http.Request {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]*http.Request, 1024)
	for i := range out {
		u := fmt.Sprintf("bench%05d", 1+rng.IntN(benchUsers))
		r := httptest.NewRequest(http.MethodGet,
			"http://127.0.0.1/mvapireq/?apientry="+entry+"&authkey="+key+"&authid="+u+"&authpwd=pw"+u, nil)
		r.RemoteAddr = "127.0.0.1:40000"
		out[i] = r
	}
	return out
}

func runHandler(b *testing.B, h http.Handler, reqs []*http.Request) {
	runHandlerWant(b, h, reqs, "Your credit")
}

func runHandlerWant(b *testing.B, h http.Handler, reqs []*http.Request, want string) {
	b.ReportAllocs()
	if n, err := strconv.Atoi(os.Getenv("BENCH_PARALLEL")); err == nil && n > 0 {
		b.SetParallelism(n) // n goroutines per CPU: a database server's latency is hidden, as under wrk -c32
	}
	b.ResetTimer()
	cpu0 := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(reqs))
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, reqs[i%len(reqs)])
			if !strings.HasPrefix(w.Body.String(), want) {
				b.Errorf("answer %q", w.Body.String())
				return
			}
			i++
		}
	})
	// Wall time on a loaded machine shifts with the other processes; the
	// CPU this process spent per request does much less.
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ceilingServer is the ceiling's handler on db, its statement prepared.
func ceilingServer(b *testing.B, db *schema.DB) *server {
	st, err := db.Prepare(db.Dialect.Rebind(userQuery))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return &server{byName: st}
}

// mycreditRow is make bench's customsql entry, as bench/seed adds it.
const mycreditRow = "INSERT INTO tb_api (fname, customsql) VALUES ('mycredit', 'SELECT credit, currency FROM tb_users WHERE id = [USERID]')"

func BenchmarkBalanceCeiling(b *testing.B) {
	db := benchDB(b)
	seedUsers(b, db)
	runHandler(b, ceilingServer(b, db), requests(""))
}

func BenchmarkBalanceMvapi(b *testing.B) {
	db := benchDB(b)
	seedUsers(b, db)
	e := mvtest.MustEngine(b, db, map[string]string{"allowtrustedip": "0"})
	runHandler(b, &transport.HTTP{Engine: e}, requests(e.Config().APIKey))
}

// BenchmarkCustomSQLMvapi is make bench's customsql entry (mycredit, as
// bench/seed adds it): authentication's user lookup and the statement.
func BenchmarkCustomSQLMvapi(b *testing.B) {
	db := benchDB(b)
	seedUsers(b, db)
	mvtest.MustExec(b, db, mycreditRow)
	e := mvtest.MustEngine(b, db, map[string]string{"allowtrustedip": "0"})
	runHandlerWant(b, &transport.HTTP{Engine: e}, entryRequests("mycredit", e.Config().APIKey), "OK: 1 rows")
}

// BenchmarkInterleaved runs the ceiling, mvapi's balance and the
// customsql entry mycredit one request each in turn, in a random order,
// in one goroutine, on the same database, and reports each one's time per
// request and the ratios the performance goals name: on a shared machine
// the other load slows all three alike, so the ratios hold steadier than
// those of separate runs.
//
//	go test ./bench/ceiling -run '^$' -bench Interleaved -benchtime 20000x
func BenchmarkInterleaved(b *testing.B) {
	db := benchDB(b)
	seedUsers(b, db)
	mvtest.MustExec(b, db, mycreditRow)
	e := mvtest.MustEngine(b, db, map[string]string{"allowtrustedip": "0"})
	mv := &transport.HTTP{Engine: e}
	type target struct {
		name string
		h    http.Handler
		reqs []*http.Request
		want string
		took time.Duration
	}
	ceiling := &target{name: "ceiling", h: ceilingServer(b, db), reqs: requests(""), want: "Your credit"}
	balance := &target{name: "balance", h: mv, reqs: requests(e.Config().APIKey), want: "Your credit"}
	custom := &target{name: "mycredit", h: mv, reqs: entryRequests("mycredit", e.Config().APIKey), want: "OK: 1 rows"}
	order := []*target{ceiling, balance, custom}
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for range b.N {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		k := rng.IntN(len(ceiling.reqs)) // the same user for all three
		for _, t := range order {
			w := httptest.NewRecorder()
			t0 := time.Now()
			t.h.ServeHTTP(w, t.reqs[k])
			t.took += time.Since(t0)
			if !strings.HasPrefix(w.Body.String(), t.want) {
				b.Fatalf("%s answers %q", t.name, w.Body.String())
			}
		}
	}
	for _, t := range []*target{ceiling, balance, custom} {
		b.ReportMetric(float64(t.took)/float64(b.N), t.name+"-ns/op")
	}
	b.ReportMetric(float64(ceiling.took)/float64(balance.took), "balance/ceiling")
	b.ReportMetric(float64(balance.took)/float64(custom.took), "mycredit/balance")
}
