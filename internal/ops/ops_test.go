package ops_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mvapi/actions"
	"mvapi/internal/mvtest"
	"mvapi/internal/ops"
)

// TestOutboxStuckMakesNotReady: a message due long ago that no worker
// holds makes /ready 503 (outbox check) while the database is fine; one a
// worker holds a lease on does not. No outbox workers run here, so nothing
// delivers the message behind the test's back.
func TestOutboxStuckMakesNotReady(t *testing.T) {
	mvtest.ForEachDB(t, testOutboxStuck)
}

func testOutboxStuck(t *testing.T, dsn string) {
	db := mvtest.MustOpen(t, dsn)
	// No outbox workers run (MustStack starts nothing), so nothing
	// delivers the stuck message while the test looks at it.
	e := mvtest.MustStack(t, db, map[string]string{"readyoutboxstuck": "60"}, actions.Deps{}).Engine
	a := ops.New(e, "test", nil)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	ready := func() (int, ops.Report) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r ops.Report
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, r
	}
	if code, r := ready(); code != 200 || len(r.Checks) != 3 {
		t.Fatalf("/ready: %d %+v", code, r)
	}
	old := time.Now().UTC().Add(-time.Hour)
	mvtest.MustExec(t, db, "INSERT INTO tb_outbox (kind, idemkey, recipients, status, attempts, next_attempt, created, lease_until) VALUES ('email', 'stuck1', 'x@example.com', 'pending', 3, ?, ?, ?)",
		old, old, time.Now().UTC().Add(time.Hour))
	if code, r := ready(); code != 200 {
		t.Fatalf("/ready with a leased message: %d %+v", code, r)
	}
	mvtest.MustExec(t, db, "UPDATE tb_outbox SET lease_until = ? WHERE idemkey = 'stuck1'", old)
	code, r := ready()
	if code != 503 || r.Checks[2].Name != "outbox" || r.Checks[2].OK || !strings.Contains(r.Checks[2].Error, "1 outbox message") || !r.Checks[0].OK {
		t.Fatalf("/ready with a stuck message: %d %+v", code, r)
	}

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	gauge := func(name string) float64 {
		f := fams[name]
		if f == nil || len(f.Metric) != 1 {
			t.Fatalf("%s: %v", name, f)
		}
		return f.Metric[0].GetGauge().GetValue()
	}
	if gauge("mvapi_outbox_pending") != 1 || gauge("mvapi_outbox_pending_attempts") != 3 || gauge("mvapi_outbox_oldest_pending_age_seconds") < 3500 {
		t.Fatalf("outbox gauges: %v %v %v", gauge("mvapi_outbox_pending"), gauge("mvapi_outbox_pending_attempts"), gauge("mvapi_outbox_oldest_pending_age_seconds"))
	}
	mvtest.MustExec(t, db, "UPDATE tb_outbox SET status = 'dead' WHERE idemkey = 'stuck1'")
	if code, _ := ready(); code != 200 {
		t.Fatalf("/ready after the message died: %d", code)
	}
}
