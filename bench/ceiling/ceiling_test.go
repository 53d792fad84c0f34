package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

const benchUsers = 10000

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
		if _, err := tx.ExecContext(ctx, "INSERT INTO tb_users (type, username, password, credit) VALUES (0, ?, ?, 10)",
			name, "pw"+name); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// requests builds balance requests for random users, as bench/balance.lua.
func requests(key string) []*http.Request {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]*http.Request, 1024)
	for i := range out {
		u := fmt.Sprintf("bench%05d", 1+rng.IntN(benchUsers))
		r := httptest.NewRequest(http.MethodGet,
			"/mvapireq/?apientry=balance&authkey="+key+"&authid="+u+"&authpwd=pw"+u, nil)
		r.RemoteAddr = "127.0.0.1:40000"
		out[i] = r
	}
	return out
}

func runHandler(b *testing.B, h http.Handler, reqs []*http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(reqs))
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, reqs[i%len(reqs)])
			if !strings.HasPrefix(w.Body.String(), "Your credit") {
				b.Errorf("answer %q", w.Body.String())
				return
			}
			i++
		}
	})
}

func BenchmarkBalanceCeiling(b *testing.B) {
	db := mvtest.MustDB(b)
	seedUsers(b, db)
	st, err := db.Prepare(userQuery)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	runHandler(b, &server{byName: st}, requests(""))
}

func BenchmarkBalanceMvapi(b *testing.B) {
	db := mvtest.MustDB(b)
	seedUsers(b, db)
	e := mvtest.MustEngine(b, db, map[string]string{"allowtrustedip": "0"})
	runHandler(b, &transport.HTTP{Engine: e}, requests(e.Config().APIKey))
}
