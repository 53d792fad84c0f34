package ops

import (
	"context"
	"database/sql"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mvapi/engine"
	"mvapi/jobs"
	"mvapi/schema"
)

// The metrics of /metrics. Request counters and latencies are the
// engine's own per-entry atomics (pre-resolved per entry, no label lookup
// on the hot path), turned into Prometheus samples at scrape time; the
// outbox is queried at scrape time within outboxScrapeTimeout.
//
//	mvapi_requests_total{entry,kind}            answered requests (kind ok or a failure kind)
//	mvapi_request_failures_total{entry,kind}    failures only (canceled excluded)
//	mvapi_request_duration_seconds{entry}       latency histogram
//	mvapi_unknown_entry_requests_total          requests for entries that do not exist
//	mvapi_auth_failures_total                   failed authentications (kind auth)
//	mvapi_ratelimited_requests_total            requests refused by a rate limit
//	mvapi_auth_lockouts_total                   client IPs (and users) locked by this process
//	mvapi_reloads_total{kind,result}            apireload / reload, ok or error
//	mvapi_reload_duration_seconds_total{kind}   time spent reloading
//	mvapi_reload_last_duration_seconds{kind}
//	mvapi_reload_bad_rows_total{kind}           bad rows reported by refused reloads
//	mvapi_reload_last_bad_rows{kind}
//	mvapi_outbox_pending                        messages waiting for delivery
//	mvapi_outbox_oldest_pending_age_seconds
//	mvapi_outbox_pending_attempts               attempts already made on pending messages
//	mvapi_outbox_dead_letters                   dead letters kept in tb_outbox
//	mvapi_outbox_scrape_errors_total
//	mvapi_job_runs_total{job,result}            job ticks run by this node (ok, error)
//	mvapi_job_skips_total{job}                  ticks skipped (another node, still running)
//	mvapi_async_queue_depth / _capacity         asynchronous customsql and actions waiting
//	mvapi_rule_table_entries
//	mvapi_build_info{version,goversion,dialect}
//	mvapi_start_time_seconds
//	go_sql_*{db_name="mvapi"}                   sql.DBStats (open, in use, idle, waits, wait time, ...)
//	go_sql_*{db_name="mvapi_replica"}           the same of the read replica's pool (readdsn), when configured
//	mvapi_replica_in_use                        1 while reads go to the read replica, 0 while the primary serves them
//	mvapi_replica_lag_seconds                   the replica's lag behind the primary at its last check
//	go_*, process_*                             the Go runtime and the process

const outboxScrapeTimeout = 2 * time.Second

func newRegistry(a *Admin) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(a.DB.DB.DB, "mvapi"),
		replicaDBStats{a.Engine},
		&collector{a: a},
	)
	return reg
}

var (
	descRequests   = prometheus.NewDesc("mvapi_requests_total", "Answered API requests by entry and outcome kind (ok or a failure kind).", []string{"entry", "kind"}, nil)
	descFailures   = prometheus.NewDesc("mvapi_request_failures_total", "Failed API requests by entry and kind (canceled requests are not failures).", []string{"entry", "kind"}, nil)
	descLatency    = prometheus.NewDesc("mvapi_request_duration_seconds", "Time from rule lookup to answer, by entry.", []string{"entry"}, nil)
	descUnknown    = prometheus.NewDesc("mvapi_unknown_entry_requests_total", "Requests naming an entry that does not exist.", nil, nil)
	descAuthFail   = prometheus.NewDesc("mvapi_auth_failures_total", "Failed authentications (answers of kind auth).", nil, nil)
	descRateLim    = prometheus.NewDesc("mvapi_ratelimited_requests_total", "Requests refused by a rate limit.", nil, nil)
	descLockouts   = prometheus.NewDesc("mvapi_auth_lockouts_total", "Client IPs and user names locked by this process after failed authentications.", nil, nil)
	descReloads    = prometheus.NewDesc("mvapi_reloads_total", "Reloads (apireload, reload) by result.", []string{"kind", "result"}, nil)
	descReloadSec  = prometheus.NewDesc("mvapi_reload_duration_seconds_total", "Seconds spent reloading.", []string{"kind"}, nil)
	descReloadLast = prometheus.NewDesc("mvapi_reload_last_duration_seconds", "Seconds the latest reload took.", []string{"kind"}, nil)
	descBadRows    = prometheus.NewDesc("mvapi_reload_bad_rows_total", "Bad tb_api/tb_scheduledtasks rows reported by refused reloads.", []string{"kind"}, nil)
	descBadLast    = prometheus.NewDesc("mvapi_reload_last_bad_rows", "Bad rows of the latest reload.", []string{"kind"}, nil)
	descPending    = prometheus.NewDesc("mvapi_outbox_pending", "Outbox messages waiting for delivery (all nodes).", nil, nil)
	descOldest     = prometheus.NewDesc("mvapi_outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox message.", nil, nil)
	descAttempts   = prometheus.NewDesc("mvapi_outbox_pending_attempts", "Delivery attempts already made on pending messages.", nil, nil)
	descDead       = prometheus.NewDesc("mvapi_outbox_dead_letters", "Dead letters kept in tb_outbox.", nil, nil)
	descOutboxErr  = prometheus.NewDesc("mvapi_outbox_scrape_errors_total", "Scrapes whose outbox query failed.", nil, nil)
	descJobRuns    = prometheus.NewDesc("mvapi_job_runs_total", "Scheduled job ticks this node ran, by result.", []string{"job", "result"}, nil)
	descJobSkips   = prometheus.NewDesc("mvapi_job_skips_total", "Scheduled job ticks this node skipped (claimed by another node, or still running).", []string{"job"}, nil)
	descQueue      = prometheus.NewDesc("mvapi_async_queue_depth", "Asynchronous customsql and actions waiting for a worker.", nil, nil)
	descQueueCap   = prometheus.NewDesc("mvapi_async_queue_capacity", "Asynchronous work that may wait (customsqlqueue).", nil, nil)
	descEntries    = prometheus.NewDesc("mvapi_rule_table_entries", "Entries of the rule table in force.", nil, nil)
	descBuild      = prometheus.NewDesc("mvapi_build_info", "Build information; always 1.", []string{"version", "goversion", "dialect"}, nil)
	descStart      = prometheus.NewDesc("mvapi_start_time_seconds", "When the engine started, Unix seconds.", nil, nil)
	descReplicaUse = prometheus.NewDesc("mvapi_replica_in_use", "1 while read-only entries read from the read replica (readdsn), 0 while the primary serves them; absent without a replica.", nil, nil)
	descReplicaLag = prometheus.NewDesc("mvapi_replica_lag_seconds", "The read replica's lag behind the primary at its last check (every second); absent without a replica.", nil, nil)
)

type collector struct {
	a          *Admin
	outboxErrs atomic.Int64 // scrapes may run concurrently
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descFailures, descLatency, descUnknown, descAuthFail, descRateLim,
		descLockouts, descReloads, descReloadSec, descReloadLast, descBadRows, descBadLast, descPending, descOldest,
		descAttempts, descDead, descOutboxErr, descJobRuns, descJobSkips, descQueue, descQueueCap, descEntries, descBuild, descStart,
		descReplicaUse, descReplicaLag} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	e := c.a.Engine
	entries, unknown := e.RequestStats()
	var auth, rate int64
	for _, st := range entries {
		for k, n := range st.Kinds {
			if n == 0 {
				continue
			}
			kind := engine.Kind(k).String()
			ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(n), st.Entry, kind)
			if engine.Kind(k) != engine.KindNone && engine.Kind(k) != engine.KindCanceled {
				ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(n), st.Entry, kind)
			}
		}
		auth += st.Kinds[engine.KindAuth]
		rate += st.Kinds[engine.KindRateLimited]
		// A new map per histogram: the const metric keeps it until written.
		buckets := make(map[float64]uint64, len(engine.LatencyBuckets))
		for i, ub := range engine.LatencyBuckets {
			buckets[ub] = st.Latency.Buckets[i]
		}
		ch <- prometheus.MustNewConstHistogram(descLatency, st.Latency.Count, st.Latency.Sum, buckets, st.Entry)
	}
	ch <- prometheus.MustNewConstMetric(descUnknown, prometheus.CounterValue, float64(unknown))
	ch <- prometheus.MustNewConstMetric(descAuthFail, prometheus.CounterValue, float64(auth))
	ch <- prometheus.MustNewConstMetric(descRateLim, prometheus.CounterValue, float64(rate))
	ch <- prometheus.MustNewConstMetric(descLockouts, prometheus.CounterValue, float64(engine.Lockouts()))
	for _, r := range e.ReloadStats() {
		ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(r.Count-r.Failed), r.Kind, "ok")
		ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(r.Failed), r.Kind, "error")
		ch <- prometheus.MustNewConstMetric(descReloadSec, prometheus.CounterValue, r.Seconds, r.Kind)
		ch <- prometheus.MustNewConstMetric(descReloadLast, prometheus.GaugeValue, r.LastDurationSeconds, r.Kind)
		ch <- prometheus.MustNewConstMetric(descBadRows, prometheus.CounterValue, float64(r.BadRows), r.Kind)
		ch <- prometheus.MustNewConstMetric(descBadLast, prometheus.GaugeValue, float64(r.LastBadRows), r.Kind)
	}
	if ob, err := scrapeOutbox(context.Background(), c.a.DB); err != nil {
		c.outboxErrs.Add(1)
		c.a.Log.Warn("metrics: outbox query failed", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(ob.pending))
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, ob.oldestAge)
		ch <- prometheus.MustNewConstMetric(descAttempts, prometheus.GaugeValue, float64(ob.attempts))
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(ob.dead))
	}
	ch <- prometheus.MustNewConstMetric(descOutboxErr, prometheus.CounterValue, float64(c.outboxErrs.Load()))
	for _, j := range jobs.RunStats() {
		ch <- prometheus.MustNewConstMetric(descJobRuns, prometheus.CounterValue, float64(j.OK), j.Job, "ok")
		ch <- prometheus.MustNewConstMetric(descJobRuns, prometheus.CounterValue, float64(j.Failed), j.Job, "error")
		ch <- prometheus.MustNewConstMetric(descJobSkips, prometheus.CounterValue, float64(j.Skipped), j.Job)
	}
	depth, capacity := e.AsyncQueue()
	ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(descQueueCap, prometheus.GaugeValue, float64(capacity))
	ch <- prometheus.MustNewConstMetric(descEntries, prometheus.GaugeValue, float64(e.Table().Len()))
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, c.a.Version, runtime.Version(), c.a.DB.Dialect.Name)
	ch <- prometheus.MustNewConstMetric(descStart, prometheus.GaugeValue, float64(e.Started().UnixNano())/1e9)
	if configured, inUse, lag := e.ReplicaState(); configured {
		use := 0.0
		if inUse {
			use = 1
		}
		ch <- prometheus.MustNewConstMetric(descReplicaUse, prometheus.GaugeValue, use)
		ch <- prometheus.MustNewConstMetric(descReplicaLag, prometheus.GaugeValue, lag.Seconds())
	}
}

// replicaDBStats is the go_sql_* of the read replica's pool: the replica
// is opened after the registry is made (and only when configured), so the
// collector looks for it at each scrape. It describes nothing (an
// unchecked collector): its metrics are those of
// collectors.NewDBStatsCollector under db_name="mvapi_replica".
type replicaDBStats struct{ e *engine.Engine }

func (replicaDBStats) Describe(chan<- *prometheus.Desc) {}

func (c replicaDBStats) Collect(ch chan<- prometheus.Metric) {
	if db := c.e.ReplicaDB(); db != nil {
		collectors.NewDBStatsCollector(db.DB.DB, "mvapi_replica").Collect(ch)
	}
}

type outboxStats struct {
	pending, attempts, dead int64
	oldestAge               float64
}

// scrapeOutbox reads the outbox counters within outboxScrapeTimeout.
func scrapeOutbox(ctx context.Context, db *schema.DB) (outboxStats, error) {
	ctx, cancel := context.WithTimeout(ctx, outboxScrapeTimeout)
	defer cancel()
	var st outboxStats
	rows, err := db.QueryContext(ctx, outboxCountsSQL(db.Dialect))
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n, attempts int64
		if err := rows.Scan(&status, &n, &attempts); err != nil {
			return st, err
		}
		switch status {
		case "pending":
			st.pending, st.attempts = n, attempts
		case "dead":
			st.dead = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	if st.pending > 0 {
		var oldest sql.NullTime
		if err := db.QueryRowContext(ctx, outboxOldestSQL(db.Dialect)).Scan(&oldest); err != nil && err != sql.ErrNoRows {
			return st, err
		}
		if oldest.Valid {
			st.oldestAge = max(time.Since(oldest.Time).Seconds(), 0)
		}
	}
	return st, nil
}

var (
	outboxCountsSQL = schema.Statement(`SELECT status, COUNT(*), COALESCE(SUM(attempts), 0) FROM tb_outbox
 WHERE status IN ('pending', 'dead') GROUP BY status`)
	outboxOldestSQL = schema.StatementFunc(func(d schema.Dialect) string {
		return "SELECT " + d.Top(1) + "created FROM tb_outbox WHERE status = 'pending' ORDER BY created" + d.Limit(1)
	})
)

func itoa(n int) string { return strconv.Itoa(n) }
