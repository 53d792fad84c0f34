package ops_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"mvapi/actions"
	"mvapi/internal/mvtest"
	"mvapi/internal/ops"
)

// TestMetricsShowReplica: /metrics has the pool statistics of the primary
// (db_name="mvapi") and, once a read replica is configured, of the
// replica (db_name="mvapi_replica") with mvapi_replica_in_use and
// mvapi_replica_lag_seconds. The "replica" is a second pool on the test
// database: in use on PostgreSQL (a server that is no standby has all it
// wrote), not on SQLite (no replicas mvapi can watch).
func TestMetricsShowReplica(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		e := mvtest.MustStack(t, db, nil, actions.Deps{}).Engine
		srv := httptest.NewServer(ops.New(e, "test", nil).Handler())
		defer srv.Close()
		scrape := func() map[string]*dto.MetricFamily {
			t.Helper()
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
			return fams
		}
		pools := func(fams map[string]*dto.MetricFamily) map[string]bool {
			seen := map[string]bool{}
			for _, m := range fams["go_sql_open_connections"].GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "db_name" {
						seen[l.GetValue()] = true
					}
				}
			}
			return seen
		}

		fams := scrape()
		if p := pools(fams); !p["mvapi"] || p["mvapi_replica"] {
			t.Fatalf("pools without a replica: %v", p)
		}
		if fams["mvapi_replica_in_use"] != nil || fams["mvapi_replica_lag_seconds"] != nil {
			t.Fatal("replica gauges without a replica")
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rdb, err := db.OpenAnother(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.UseReplica(ctx, rdb, 5*time.Second)
		fams = scrape()
		if p := pools(fams); !p["mvapi"] || !p["mvapi_replica"] {
			t.Fatalf("pools with a replica: %v", p)
		}
		for _, name := range []string{"go_sql_in_use_connections", "go_sql_idle_connections", "go_sql_wait_count_total", "go_sql_wait_duration_seconds_total"} {
			if n := len(fams[name].GetMetric()); n != 2 {
				t.Errorf("%s: %d pools, want 2", name, n)
			}
		}
		want := 0.0
		if primary, _ := db.Dialect.ReplicaPositionSQL(); primary != "" {
			want = 1
		}
		if got := fams["mvapi_replica_in_use"].GetMetric()[0].GetGauge().GetValue(); got != want {
			t.Errorf("mvapi_replica_in_use %v, want %v", got, want)
		}
		if lag := fams["mvapi_replica_lag_seconds"].GetMetric()[0].GetGauge().GetValue(); lag != 0 {
			t.Errorf("mvapi_replica_lag_seconds %v, want 0", lag)
		}
	})
}
