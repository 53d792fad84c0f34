package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"mvapi/schema"
)

// What the engine exposes for monitoring (package internal/ops turns it
// into Prometheus metrics and the /ready answer). Everything here is read at
// scrape time; the hot path only does atomic adds on counters resolved
// before the request (per entry, in requestStats).

// LatencyBuckets are the upper bounds, in seconds, of the request latency
// histogram kept per entry.
var LatencyBuckets = [...]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// latency is a fixed-bucket histogram updated with atomic adds only.
type latency struct {
	counts [len(LatencyBuckets) + 1]atomic.Uint64 // the last one is +Inf
	nanos  atomic.Int64
}

func (l *latency) observe(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(LatencyBuckets[:], s)
	l.counts[i].Add(1)
	l.nanos.Add(int64(d))
}

// Latency is a snapshot of one entry's latency histogram: Buckets[i] is the
// number of requests that took at most LatencyBuckets[i] seconds
// (cumulative, as Prometheus wants it); Count is every request, Sum their
// seconds.
type Latency struct {
	Buckets [len(LatencyBuckets)]uint64
	Count   uint64
	Sum     float64
}

func (l *latency) snapshot() Latency {
	var out Latency
	var cum uint64
	for i := range l.counts {
		cum += l.counts[i].Load()
		if i < len(out.Buckets) {
			out.Buckets[i] = cum
		}
	}
	out.Count = cum
	out.Sum = time.Duration(l.nanos.Load()).Seconds()
	return out
}

// ReloadStat counts the reloads of one kind (apireload or reload) since
// the engine started: Failed of them left the old snapshot serving,
// BadRows is the bad tb_api/tb_scheduledtasks rows they reported, Seconds
// the time they took in all, LastBadRows the bad rows of the latest one.
type ReloadStat struct {
	Kind                string
	Count, Failed       int64
	BadRows             int64
	LastBadRows         int64
	Seconds             float64
	LastAt              time.Time
	LastDurationSeconds float64
}

type reloadStats struct {
	mu   sync.Mutex
	byID map[string]*ReloadStat
}

// observeReload records one reload of kind that started at start and
// ended with err.
func (e *Engine) observeReload(kind string, start time.Time, err error) {
	took := time.Since(start).Seconds()
	var ce *CompileError
	bad := int64(0)
	if errors.As(err, &ce) {
		bad = int64(len(ce.Rows))
	}
	rs := &e.obs.reloads
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.byID == nil {
		rs.byID = map[string]*ReloadStat{}
	}
	st := rs.byID[kind]
	if st == nil {
		st = &ReloadStat{Kind: kind}
		rs.byID[kind] = st
	}
	st.Count++
	if err != nil {
		st.Failed++
	}
	st.BadRows += bad
	st.LastBadRows = bad
	st.Seconds += took
	st.LastDurationSeconds = took
	st.LastAt = time.Now()
}

// ReloadStats returns the reload counters by kind, sorted.
func (e *Engine) ReloadStats() []ReloadStat {
	rs := &e.obs.reloads
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]ReloadStat, 0, len(rs.byID))
	for _, st := range rs.byID {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// observed is the engine's monitoring state beside requestStats.
type observed struct {
	reloads reloadStats
}

// lockouts counts the client IPs this process locked after failed
// authentications (every Lockout of the process).
var lockouts atomic.Int64

// Lockouts is how many times this process locked a client IP after
// failed authentications.
func Lockouts() int64 { return lockouts.Load() }

// AsyncQueue is the asynchronous work (customsql, custom_actions) waiting
// for a worker now, and how much may wait.
func (e *Engine) AsyncQueue() (depth, capacity int) {
	return len(e.pool.jobs), cap(e.pool.jobs)
}

// Node names this process in tb_auditlog and tb_health: host and pid.
var Node = func() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}()

// ProbeTimeout bounds the database probe of /ready and hearthbeat mode=full.
const ProbeTimeout = 2 * time.Second

// ProbeDB checks that the database is reachable and writable within
// ProbeTimeout: a ping, then an UPDATE of the one row of tb_health (a
// write that fails on a full disk, a read-only file, a database locked
// past the timeout or an unreachable server). It returns how long it took.
func (e *Engine) ProbeDB(ctx context.Context) (time.Duration, error) {
	return ProbeDB(ctx, e.db)
}

// ProbeDB is Engine.ProbeDB for any database.
func ProbeDB(ctx context.Context, db *schema.DB) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	start := time.Now()
	if err := db.PingContext(ctx); err != nil {
		return time.Since(start), fmt.Errorf("database unreachable: %w", err)
	}
	if _, err := db.ExecContext(ctx, healthProbeSQL(db.Dialect), time.Now().UTC(), Node); err != nil {
		return time.Since(start), fmt.Errorf("database not writable: %w", err)
	}
	return time.Since(start), nil
}

var healthProbeSQL = schema.Statement("UPDATE tb_health SET probed = ?, node = ? WHERE id = 1")
