package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"mvapi/engine/format"
)

// Counters the admin diagnostics read (quickstat, info, querylist). They
// live in the Engine, outside the rule table, so a reload keeps them; they
// count since this process started.

// entryCounter counts the requests of one entry by outcome kind
// (KindNone is a success).
type entryCounter struct {
	byKind [format.NumKinds]atomic.Int64
	lat    latency
}

// requestStats counts answered requests per entry name. The hot path is
// one sync.Map load (an insert only the first time a name is seen) and one
// atomic add.
type requestStats struct {
	byEntry sync.Map // lower-case entry name -> *entryCounter
	unknown atomic.Int64
}

func (s *requestStats) record(name string, kind Kind, took time.Duration) {
	v, found := s.byEntry.Load(name)
	if !found {
		v, _ = s.byEntry.LoadOrStore(name, &entryCounter{})
	}
	c := v.(*entryCounter)
	if int(kind) >= len(c.byKind) {
		kind = KindInternal
	}
	c.byKind[kind].Add(1)
	c.lat.observe(took)
}

// EntryStat is how often one entry answered since the server started.
// Failed counts every failure but KindCanceled (a client that went away is
// not a failed request); Canceled counts those; Kinds holds the count of
// each kind, indexed by Kind (Kinds[KindNone] == OK).
type EntryStat struct {
	Entry      string
	OK, Failed int64
	Canceled   int64
	Kinds      [format.NumKinds]int64
	Latency    Latency
}

// RequestStats returns the per-entry counters sorted by entry name, and the
// requests for entries that do not exist.
func (e *Engine) RequestStats() (entries []EntryStat, unknown int64) {
	e.stats.byEntry.Range(func(k, v any) bool {
		c := v.(*entryCounter)
		st := EntryStat{Entry: k.(string)}
		for i := range c.byKind {
			st.Kinds[i] = c.byKind[i].Load()
		}
		st.OK, st.Canceled = st.Kinds[KindNone], st.Kinds[KindCanceled]
		st.Latency = c.lat.snapshot()
		for kind, n := range st.Kinds {
			if Kind(kind) != KindNone && Kind(kind) != KindCanceled {
				st.Failed += n
			}
		}
		entries = append(entries, st)
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
