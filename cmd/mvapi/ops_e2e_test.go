package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// opsSets turns the admin listener on (a free port) with loopback
// untrusted, so every request authenticates like a remote client.
func opsSets(extra ...string) map[string]string {
	s := map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1", "adminhttpaddr": "127.0.0.1:0"}
	for i := 0; i+1 < len(extra); i += 2 {
		s[extra[i]] = extra[i+1]
	}
	return s
}

func adminGet(t *testing.T, s *testServer, path string) (int, string) {
	t.Helper()
	if s.m.AdminAddr() == "" {
		t.Fatal("admin listener off")
	}
	resp, err := http.Get("http://" + s.m.AdminAddr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func scrape(t *testing.T, s *testServer) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := adminGet(t, s, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// sample is the value of the sample of family name whose labels include
// every label of want (name=value pairs); -1 when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestMetricsAfterAScriptedMix: the counters /metrics shows, parsed with
// the Prometheus text parser, match the requests sent; the admin listener
// is not the API port and the API port serves no /metrics.
func TestMetricsAfterAScriptedMix(t *testing.T) {
	s := startServer(t, "", opsSets())
	s.user("xena", "xenapass", engine.TypeEndUser, 2)
	s.user("root", "rootpass1", engine.TypeAdmin, 0)
	good := append([]string{"apientry", "balance"}, s.md5Auth("xena", "xenapass")...)
	bad := append([]string{"apientry", "balance"}, s.md5Auth("xena", "wrongpass")...)
	for range 3 {
		_, body := s.get(good...)
		wantPrefix(t, body, "Your credit is $2")
	}
	for range 2 {
		_, body := s.get(bad...)
		wantPrefix(t, body, "ERROR")
	}
	for range 4 {
		s.get("apientry", "apitest1")
	}
	s.get("apientry", "nosuchentry")
	wantPrefix(t, s.apireload("root", "rootpass1"), "OK: apireload")

	fams := scrape(t, s)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mvapi_requests_total", []string{"entry", "balance", "kind", "ok"}, 3},
		{"mvapi_requests_total", []string{"entry", "balance", "kind", "auth"}, 2},
		{"mvapi_request_failures_total", []string{"entry", "balance", "kind", "auth"}, 2},
		{"mvapi_request_duration_seconds", []string{"entry", "balance"}, 5},
		{"mvapi_requests_total", []string{"entry", "apitest1", "kind", "ok"}, 4},
		{"mvapi_requests_total", []string{"entry", "apireload", "kind", "ok"}, 1},
		{"mvapi_unknown_entry_requests_total", nil, 1},
		{"mvapi_auth_failures_total", nil, 2},
		{"mvapi_ratelimited_requests_total", nil, 0},
		{"mvapi_reloads_total", []string{"kind", "apireload", "result", "ok"}, 1},
		{"mvapi_reloads_total", []string{"kind", "apireload", "result", "error"}, 0},
		{"mvapi_outbox_pending", nil, 0},
		{"mvapi_outbox_dead_letters", nil, 0},
		{"mvapi_async_queue_depth", nil, 0},
		{"mvapi_build_info", []string{"version", Version, "dialect", "sqlite"}, 1},
	} {
		if got := sample(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"go_sql_open_connections", "go_sql_in_use_connections", "go_sql_wait_count_total",
		"mvapi_async_queue_capacity", "mvapi_rule_table_entries", "mvapi_auth_lockouts_total",
		"mvapi_reload_last_duration_seconds", "mvapi_outbox_oldest_pending_age_seconds", "go_goroutines"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// Each entry's histogram has its own buckets (cumulative, the largest
	// holding every request of that entry).
	for entry, n := range map[string]uint64{"balance": 5, "apitest1": 4} {
		var h *dto.Histogram
		for _, m := range fams["mvapi_request_duration_seconds"].GetMetric() {
			for _, lp := range m.Label {
				if lp.GetName() == "entry" && lp.GetValue() == entry {
					h = m.Histogram
				}
			}
		}
		b := h.GetBucket()
		if len(b) < len(engine.LatencyBuckets) || b[len(engine.LatencyBuckets)-1].GetUpperBound() != 10 ||
			b[len(engine.LatencyBuckets)-1].GetCumulativeCount() != n || h.GetSampleSum() <= 0 {
			t.Errorf("%s histogram %v", entry, h)
		}
		for i := 1; i < len(b); i++ {
			if b[i].GetCumulativeCount() < b[i-1].GetCumulativeCount() {
				t.Errorf("%s histogram not cumulative: %v", entry, h)
			}
		}
	}
	// The API port does not serve the admin endpoints.
	if code, _ := s.getRaw("/metrics"); code != 404 {
		t.Errorf("API port /metrics: %d", code)
	}
	if code, body := adminGet(t, s, "/live"); code != 200 || !strings.Contains(body, "live") {
		t.Errorf("/live: %d %s", code, body)
	}
}

// TestRequestIDEchoed: an X-Request-Id is echoed (and one is made when
// the client sent none).
func TestRequestIDEchoed(t *testing.T) {
	s := startServer(t, "", nil)
	req, _ := http.NewRequest("GET", s.base+"/mvapireq/?apientry=apitest1", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "abc-123" {
		t.Fatalf("X-Request-Id %q", got)
	}
	req.Header.Set("X-Request-Id", "bad id with spaces")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
		t.Fatalf("generated X-Request-Id %q", got)
	}
}

type readyReport struct {
	Ready  bool `json:"ready"`
	Checks []struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"checks"`
}

func ready(t *testing.T, s *testServer) (int, readyReport) {
	t.Helper()
	code, body := adminGet(t, s, "/ready")
	var r readyReport
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("/ready %d: %v: %s", code, err, body)
	}
	if (code == 200) != r.Ready {
		t.Fatalf("/ready %d but ready=%v: %s", code, r.Ready, body)
	}
	return code, r
}

// TestReadyWhenSQLiteCannotBeWritten: /ready and hearthbeat mode=full
// fail while the database cannot be written, and recover after.
//
// How the write is made to fail: the tests run as root, for whom a chmod
// of the file or its directory changes nothing, and a read-only mount
// needs privileges a test should not use. Another connection holds a
// write transaction (the SQLite write lock) longer than the probe's 2 s
// timeout, which fails the probe's UPDATE of tb_health exactly as a
// database that cannot take writes does, while reads still work: the case
// a ping alone misses.
func TestReadyWhenSQLiteCannotBeWritten(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/mvapi.db"
	s := startServer(t, dsn, opsSets())
	s.user("root", "rootpass1", engine.TypeAdmin, 0)
	if code, r := ready(t, s); code != 200 {
		t.Fatalf("/ready before: %d %+v", code, r)
	}
	other := mvtest.MustOpen(t, dsn)
	tx, err := other.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("UPDATE tb_health SET node = 'test lock' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	code, r := ready(t, s)
	if code != 503 || r.Checks[0].Name != "database" || r.Checks[0].OK || !strings.Contains(r.Checks[0].Error, "not writable") {
		t.Fatalf("/ready with the database locked: %d %+v", code, r)
	}
	// authpwd, not authmd5: an admin's md5 is recorded against replays
	// (a write), which the lock would refuse before hearthbeat runs.
	hb := []string{"apientry", "hearthbeat", "mode", "full", "authkey", s.key, "authid", "root", "authpwd", "rootpass1"}
	if _, body := s.get(hb...); !strings.Contains(body, "not writable") {
		t.Fatalf("hearthbeat mode=full with the database locked: %q", body)
	}
	tx.Rollback()
	if code, r := ready(t, s); code != 200 {
		t.Fatalf("/ready after: %d %+v", code, r)
	}
	if _, body := s.get(hb...); !strings.HasPrefix(body, "OK: alive, database ok") {
		t.Fatalf("hearthbeat mode=full after: %q", body)
	}
}

// TestReadyWhenPostgresIsCut: /ready answers 503 while PostgreSQL is cut
// through a TCP proxy (refused and black-holed), 200 once it is back.
func TestReadyWhenPostgresIsCut(t *testing.T) {
	mvtest.NeedPostgres(t)
	u, err := url.Parse(mvtest.FreshDSN(t, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	s := startServer(t, u.String(), opsSets("requesttimeout", "2"))
	if code, r := ready(t, s); code != 200 {
		t.Fatalf("/ready before: %d %+v", code, r)
	}
	for _, mode := range []string{"refuse", "blackhole"} {
		p.cut(mode)
		start := time.Now()
		code, r := ready(t, s)
		if code != 503 || r.Checks[0].OK {
			t.Fatalf("/ready with PostgreSQL cut (%s): %d %+v", mode, code, r)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("/ready took %v with PostgreSQL cut (%s)", took, mode)
		}
		t.Logf("cut (%s): %s", mode, r.Checks[0].Error)
		p.restore()
		waitFor(t, 15*time.Second, func() bool { code, _ := ready(t, s); return code == 200 })
	}
}

// TestAuditSetfieldCreditAndApireload: setfield credit by an admin writes
// tb_creditlog and one tb_auditlog row (secrets masked) in its
// transaction; apireload writes its audit row; a user's own profile change
// is not audited.
func TestAuditSetfieldCreditAndApireload(t *testing.T) {
	s := startServer(t, "", strictSets)
	xena := s.user("xena", "xenapass", engine.TypeEndUser, 2)
	root := s.user("root", "rootpass1", engine.TypeAdmin, 0)
	set := append([]string{"apientry", "setfield", "rowid", itoa64(xena), "fieldname", "credit", "fieldvalue", "7.5"}, s.md5Auth("root", "rootpass1")...)
	_, body := s.get(set...)
	wantPrefix(t, body, "OK: credit updated")
	var n int
	var amount float64
	var kind string
	if err := s.m.DB.QueryRow("SELECT COUNT(*), SUM(amount), MAX(kind) FROM tb_creditlog WHERE userid = ?", xena).Scan(&n, &amount, &kind); err != nil {
		t.Fatal(err)
	}
	if n != 1 || amount != 5.5 || kind != "setfield" {
		t.Fatalf("tb_creditlog: %d rows, %v, %q", n, amount, kind)
	}
	own := append([]string{"apientry", "setfield", "fieldname", "name", "fieldvalue", "Xena W"}, s.md5Auth("xena", "xenapass")...)
	_, body = s.get(own...)
	wantPrefix(t, body, "OK")
	wantPrefix(t, s.apireload("root", "rootpass1"), "OK: apireload")

	type row struct {
		Entry, Username, Outcome, Params, Detail, Node, IP string
		UserID                                             int64
	}
	rows, err := s.m.DB.Query("SELECT entry, username, outcome, params, detail, node, ip, userid FROM tb_auditlog ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.Entry, &r.Username, &r.Outcome, &r.Params, &r.Detail, &r.Node, &r.IP, &r.UserID); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 2 || got[0].Entry != "setfield" || got[1].Entry != "apireload" {
		t.Fatalf("tb_auditlog: %+v", got)
	}
	sf := got[0]
	if sf.Username != "root" || sf.UserID != root || sf.Outcome != "ok" || sf.IP != "127.0.0.1" || sf.Node == "" ||
		!strings.Contains(sf.Detail, "set to 7.5") || !strings.Contains(sf.Params, `"fieldvalue":"7.5"`) {
		t.Errorf("setfield audit row %+v", sf)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(sf.Params), &p); err != nil {
		t.Fatal(err)
	}
	if p["authmd5"] != "xxxxx" || p["authkey"] != "xxxxx" {
		t.Errorf("secrets not masked: %s", sf.Params)
	}
	if got[1].Outcome != "ok" || got[1].Username != "root" {
		t.Errorf("apireload audit row %+v", got[1])
	}
	// A password set through setfield is masked too.
	pw := append([]string{"apientry", "setfield", "rowid", itoa64(xena), "fieldname", "password", "fieldvalue", "Sup3rSecret"}, s.md5Auth("root", "rootpass1")...)
	s.get(pw...)
	var params string
	if err := s.m.DB.QueryRow("SELECT params FROM tb_auditlog WHERE entry = 'setfield' ORDER BY id DESC").Scan(&params); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(params, "Sup3rSecret") {
		t.Errorf("password in the audit trail: %s", params)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestAuditConsoleLogins: console logins, failed and good, and an
// apireload sent on the console are in tb_auditlog.
func TestAuditConsoleLogins(t *testing.T) {
	m := startConsoleServer(t, nil)
	c := dialConsole(t, m)
	c.must("login root wrongpass", "ERROR: login failed")
	c.must("login root rootpass1", "OK: logged in as root")
	c.must("apireload", "OK: apireload:")
	rows, err := m.DB.Query("SELECT entry, username, outcome FROM tb_auditlog ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var e, u, o string
		rows.Scan(&e, &u, &o)
		got = append(got, e+"/"+u+"/"+o)
	}
	if want := "console login/root/auth console login/root/ok apireload/root/ok"; strings.Join(got, " ") != want {
		t.Fatalf("tb_auditlog %q, want %q", got, want)
	}
}
