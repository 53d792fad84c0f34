package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Counters the admin diagnostics read (quickstat, info, querylist). They
// live in the Engine, outside the rule table, so a reload keeps them; they
// count since this process started.

// entryCounter counts the requests of one entry.
type entryCounter struct {
	ok, failed atomic.Int64
}

// requestStats counts answered requests per entry name. The hot path is
// one sync.Map load (an insert only the first time a name is seen) and one
// atomic add.
type requestStats struct {
	byEntry sync.Map // lower-case entry name -> *entryCounter
	unknown atomic.Int64
}

func (s *requestStats) record(name string, ok bool) {
	v, found := s.byEntry.Load(name)
	if !found {
		v, _ = s.byEntry.LoadOrStore(name, &entryCounter{})
	}
	c := v.(*entryCounter)
	if ok {
		c.ok.Add(1)
	} else {
		c.failed.Add(1)
	}
}

// EntryStat is how often one entry answered since the server started.
type EntryStat struct {
	Entry      string
	OK, Failed int64
}

// RequestStats returns the per-entry counters sorted by entry name, and the
// requests for entries that do not exist.
func (e *Engine) RequestStats() (entries []EntryStat, unknown int64) {
	e.stats.byEntry.Range(func(k, v any) bool {
		c := v.(*entryCounter)
		entries = append(entries, EntryStat{Entry: k.(string), OK: c.ok.Load(), Failed: c.failed.Load()})
		return true
	})
	sort.Slice(entries, func(i, j int) bool { return entries[i].Entry < entries[j].Entry })
	return entries, e.stats.unknown.Load()
}

// Started is when the engine was created.
func (e *Engine) Started() time.Time { return e.started }

// RunningQuery is a database statement in flight: customsql, or an admin
// entry that registered itself with TrackQuery.
type RunningQuery struct {
	ID      int64
	Entry   string
	SQL     string
	Started time.Time
}

// queryTracker holds the statements in flight. start and stop are what
// customsql calls on every statement: one short lock, no allocation
// (records are pooled).
type queryTracker struct {
	mu      sync.Mutex
	nextID  int64
	running map[*RunningQuery]struct{}
}

var runningPool = sync.Pool{New: func() any { return new(RunningQuery) }}

func (t *queryTracker) start(entry, sql string) *RunningQuery {
	if len(sql) > 200 {
		sql = sql[:200] + "..."
	}
	q := runningPool.Get().(*RunningQuery)
	now := time.Now()
	t.mu.Lock()
	if t.running == nil {
		t.running = map[*RunningQuery]struct{}{}
	}
	t.nextID++
	*q = RunningQuery{ID: t.nextID, Entry: entry, SQL: sql, Started: now}
	t.running[q] = struct{}{}
	t.mu.Unlock()
	return q
}

func (t *queryTracker) stop(q *RunningQuery) {
	t.mu.Lock()
	delete(t.running, q)
	t.mu.Unlock()
	*q = RunningQuery{}
	runningPool.Put(q)
}

// TrackQuery records a statement as running until the returned func is
// called. sql is kept as at most 200 bytes; it is the statement's text
// with placeholders, never bound values.
func (e *Engine) TrackQuery(entry, sql string) (done func()) {
	q := e.queries.start(entry, sql)
	return func() { e.queries.stop(q) }
}

// RunningQueries lists the statements in flight, oldest first.
func (e *Engine) RunningQueries() []RunningQuery {
	t := &e.queries
	t.mu.Lock()
	out := make([]RunningQuery, 0, len(t.running))
	for q := range t.running {
		out = append(out, *q)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ActionKind returns the custom_action kind of a base code (7 is the
// command runner), for admin entries that run one directly.
func (e *Engine) ActionKind(code int) (ActionKind, bool) {
	k, ok := e.actions[code]
	return k, ok
}
