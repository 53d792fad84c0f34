// Command reloadload runs apireload back to back against an mvapi node,
// changing one tb_api row before each, and prints how long each took:
// the wall time of the apireload request over HTTP, the engine's own
// reload time (the node's /metrics, when -metrics names it, read after
// every 10th apireload) and, with
// -watch naming another node's /metrics, how long that node's reload
// through the change watch took and when it was done after the answer.
// bench/reloadload.sh runs it under a wrk load.
//
//	reloadload -url http://127.0.0.1:PORT -dsn sqlite:PATH -user U -password P [-n 100]
//	           [-metrics http://127.0.0.1:ADMIN/metrics] [-watch http://127.0.0.1:ADMIN2/metrics]
//
// The last line is machine-readable (milliseconds):
//
//	RELOAD n=100 failed=0 wall_p50_ms=.. wall_p90_ms=.. wall_max_ms=.. engine_p50_ms=.. engine_max_ms=..
//	       watch_p50_ms=.. watch_max_ms=.. seen_p50_ms=.. seen_max_ms=..
//
// It exits 1 when an apireload failed or did not report the changed row.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"mvapi/schema"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "base URL of the node that gets the apireloads")
	dsn := flag.String("dsn", "", "the node's database, where the row is changed (sqlite:PATH or postgres://...)")
	key := flag.String("key", "benchkey123", "api key")
	user := flag.String("user", "benchadmin", "an admin user")
	password := flag.String("password", "", "its password")
	n := flag.Int("n", 100, "apireloads")
	row := flag.String("row", "benchrule00042", "fname of the tb_api row changed before each apireload")
	metrics := flag.String("metrics", "", "the node's /metrics URL: report the engine's reload time too")
	watch := flag.String("watch", "", "another node's /metrics URL: wait for its reload through the change watch after each")
	flag.Parse()
	if *dsn == "" || *password == "" || *n < 1 {
		fail("-dsn and -password are required and -n must be at least 1")
	}
	ctx := context.Background()
	db, err := schema.Open(ctx, *dsn)
	if err != nil {
		fail("open %s: %v", *dsn, err)
	}
	defer db.Close()
	client := &http.Client{Timeout: 60 * time.Second}
	reloadURL := *base + "/mvapireq/?" + url.Values{"apientry": {"apireload"}, "authkey": {*key},
		"authid": {*user}, "authpwd": {*password}}.Encode()
	update := db.Dialect.Rebind("UPDATE tb_api SET customsql = ? WHERE fname = ?")
	var wall, engine, watchMS, seen []float64
	failed := 0
	stamp := time.Now().UnixNano() // a new customsql text on every run
	for i := range *n {
		res, err := db.ExecContext(ctx, update, fmt.Sprintf("SELECT credit, currency FROM tb_users WHERE id = [USERID] AND %d > 0", stamp+int64(i)), *row)
		if err != nil {
			fail("change %s: %v", *row, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			fail("change %s: %d rows (is the database seeded with -rules?)", *row, k)
		}
		var before float64
		if *watch != "" {
			if before, _, err = reloadMetrics(client, *watch); err != nil {
				fail("watch: %v", err)
			}
		}
		start := time.Now()
		body, err := get(client, reloadURL)
		took := time.Since(start)
		if err != nil || !strings.HasPrefix(body, "OK: apireload") || !strings.Contains(body, "changed: "+*row) {
			failed++
			fmt.Fprintf(os.Stderr, "reloadload: apireload %d: %v %.200q\n", i+1, err, body)
			continue
		}
		wall = append(wall, ms(took))
		if *metrics != "" && i%10 == 0 { // every 10th: reading /metrics costs the node work too
			if _, last, err := reloadMetrics(client, *metrics); err == nil {
				engine = append(engine, last*1000)
			}
		}
		if *watch != "" {
			for {
				count, last, err := reloadMetrics(client, *watch)
				if err != nil {
					fail("watch: %v", err)
				}
				if count > before {
					seen = append(seen, ms(time.Since(start)))
					watchMS = append(watchMS, last*1000)
					break
				}
				if time.Since(start) > 30*time.Second {
					fail("watch: the other node did not reload within 30 s of apireload %d", i+1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	fmt.Printf("RELOAD n=%d failed=%d wall_p50_ms=%.1f wall_p90_ms=%.1f wall_max_ms=%.1f engine_p50_ms=%.1f engine_max_ms=%.1f watch_p50_ms=%.1f watch_max_ms=%.1f seen_p50_ms=%.1f seen_max_ms=%.1f\n",
		*n, failed, pct(wall, 50), pct(wall, 90), pct(wall, 100), pct(engine, 50), pct(engine, 100),
		pct(watchMS, 50), pct(watchMS, 100), pct(seen, 50), pct(seen, 100))
	if failed > 0 {
		os.Exit(1)
	}
}

// get returns the body of a GET of u.
func get(c *http.Client, u string) (string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// reloadMetrics reads a node's count of successful apireloads (its own
// and those of the change watch) and the seconds the latest took.
func reloadMetrics(c *http.Client, u string) (count, last float64, err error) {
	body, err := get(c, u)
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		switch name {
		case `mvapi_reloads_total{kind="apireload",result="ok"}`:
			count, _ = strconv.ParseFloat(value, 64)
		case `mvapi_reload_last_duration_seconds{kind="apireload"}`:
			last, _ = strconv.ParseFloat(value, 64)
		}
	}
	return count, last, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct is the p-th percentile of v (nearest rank); 0 for none.
func pct(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(i, len(s))-1)]
}

func fail(f string, args ...any) {
	fmt.Fprintf(os.Stderr, "reloadload: "+f+"\n", args...)
	os.Exit(1)
}
