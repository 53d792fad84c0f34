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

// queryTracker holds the statements in flight.
type queryTracker struct {
	mu      sync.Mutex
	nextID  int64
	running map[int64]*RunningQuery
}

// TrackQuery records a statement as running until the returned func is
// called. sql is kept as at most 200 bytes; it is the statement's text
// with placeholders, never bound values.
func (e *Engine) TrackQuery(entry, sql string) (done func()) {
	if len(sql) > 200 {
		sql = sql[:200] + "..."
	}
	t := &e.queries
	t.mu.Lock()
	if t.running == nil {
		t.running = map[int64]*RunningQuery{}
	}
	t.nextID++
	id := t.nextID
	t.running[id] = &RunningQuery{ID: id, Entry: entry, SQL: sql, Started: time.Now()}
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.running, id)
		t.mu.Unlock()
	}
}

// RunningQueries lists the statements in flight, oldest first.
func (e *Engine) RunningQueries() []RunningQuery {
	t := &e.queries
	t.mu.Lock()
	out := make([]RunningQuery, 0, len(t.running))
	for _, q := range t.running {
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
