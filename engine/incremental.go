package engine

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
)

// maxIncremental is the most changed rows a reload applies to the table
// in force (compileIncremental); a reload with more goes the full way
// (loadRowsCached and compile), which reuses the unchanged entries too.
const maxIncremental = fetchChunk

// tableGens numbers the tables (Table.gen): an incremental table names
// the one it was built from without keeping it alive.
var tableGens atomic.Uint64

func nextTableGen() uint64 { return tableGens.Add(1) }

// compileIncremental builds the table of a reload from prev, the table in
// force, when the dialect's markers grow (SQLite) and only a few rows were
// inserted or updated since prev's rows were read (changedSince): it
// fetches those rows, compiles only them into a copy of prev's entry map,
// and carries prev's row cache over with only them applied. The new table
// remembers the names it touched (Table.touched), so that diffTables and
// closeReplaced look at those names only. A one-row reload of 10,000 rows
// thus costs one copy of the map and of the cache, not 10,000 rows of
// work.
//
// ok is false when it cannot tell that the result is what a full compile
// would build, and the caller then goes the full way: no table in force or
// no row cache, a table in force with bad rows (a server's first table),
// another config, markers that do not grow, a deleted row, too many
// changed rows, a row of id 0, and any changed row that does not compile or whose name
// is empty or held by another row (the full way names every bad row the
// way it always did). An error is one of the database: the load fails.
func (e *Engine) compileIncremental(ctx context.Context, cfg *Config, prev *Table, cache *rowCache) (t *Table, ok bool, err error) {
	if prev == nil || cache == nil || len(prev.bad) > 0 || reusable(prev, cfg) == nil {
		return nil, false, nil
	}
	changed, since, err := changedSince(ctx, e.db, cache, prev)
	if err != nil || !since || len(changed) > maxIncremental {
		return nil, false, err
	}
	// A row of id 0 has an entry that looks like a built-in's (RowID 0):
	// leave such a table to the full way.
	if _, zero := slices.BinarySearchFunc(cache.rows, int64(0), func(r cachedRow, id int64) int { return cmp.Compare(r.id, id) }); zero {
		return nil, false, nil
	}
	var rows []apiRow
	if len(changed) > 0 {
		ids := make([]int64, len(changed))
		for i, c := range changed {
			ids[i] = c.id
		}
		if rows, err = fetchRows(ctx, e.db, ids, make([]apiRow, 0, len(ids))); err != nil {
			return nil, false, err
		}
		slices.SortFunc(rows, func(a, b apiRow) int { return cmp.Compare(a.ID, b.ID) })
		if len(rows) != len(changed) { // a row deleted since changedSince
			return nil, false, nil
		}
		for i := range rows {
			if rows[i].ID != changed[i].id || rows[i].ID == 0 {
				return nil, false, nil
			}
		}
	}
	c := &compiler{reg: e.reg, actions: e.actions, dialect: e.db.Dialect, cfg: cfg, runSQL: e.sqlHandler, prev: prev,
		check: e.checkSQL, ctx: ctx}
	t, ok = c.apply(prev, cache, rows)
	if err := c.fatalErr(); err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, nil
	}
	if len(changed) > 0 {
		cache = cache.apply(changed, rows)
	}
	t.rows.Store(cache) // a cache is never written to once built either
	return t, true, nil
}

// apply returns prev with rows (the inserted and updated rows of tb_api,
// in id order; cache is what prev was compiled from) compiled in, or false
// when a row does not compile or its name is empty or held by another
// row: see compileIncremental. c.prev is prev, under the same config.
func (c *compiler) apply(prev *Table, cache *rowCache, rows []apiRow) (*Table, bool) {
	t := &Table{cfg: c.cfg, gen: nextTableGen(), base: prev.gen}
	if len(rows) == 0 {
		// nothing changed; a table is never written to once built
		t.entries, t.over, t.n = prev.entries, prev.over, prev.n
		return t, true
	}
	changedIDs := make(map[int64]bool, len(rows))
	for i := range rows {
		changedIDs[rows[i].ID] = true
	}
	// The names of the changed rows, each owned by one row: not by two
	// changed rows, not by a row that did not change (prev holds no bad
	// row, so each of its rows owns its name there).
	names := make([]string, len(rows))
	owners := make(map[string]bool, len(rows))
	for i := range rows {
		name := entryName(rows[i].Fname)
		if name == "" || owners[name] {
			return nil, false
		}
		if cur, _ := prev.Lookup(name); cur != nil && cur.RowID != 0 && !changedIDs[cur.RowID] {
			return nil, false
		}
		owners[name], names[i] = true, name
	}
	entries := newOverlay(prev)
	touched := make([]string, 0, 2*len(rows))
	// Free the names the updated rows held: a built-in a row shadowed is
	// itself again unless a row takes the name back below.
	for i := range rows {
		j, found := slices.BinarySearchFunc(cache.rows, rows[i].ID, func(r cachedRow, id int64) int { return cmp.Compare(r.id, id) })
		if !found {
			continue // a new row
		}
		old := entryName(cache.rows[j].fname)
		if e, _ := prev.Lookup(old); e == nil || e.RowID != rows[i].ID {
			return nil, false // the cache does not match the table: go the full way
		}
		entries.remove(old)
		if b, ok := c.reg.byName[old]; ok {
			entries.set(old, c.builtinEntry(old, b))
		}
		touched = append(touched, old)
	}
	for i := range rows {
		r, name := &rows[i], names[i]
		touched = append(touched, name)
		if old, ok := prev.Lookup(name); ok && old.RowID == r.ID && old.fingerprint == r.fingerprint() &&
			old.Description == r.Description.String {
			entries.set(name, old) // unchanged row (a marker moved by an UPDATE to the same values)
			continue
		}
		var base *Entry
		if b, ok := c.reg.byName[name]; ok {
			base = c.builtinEntry(name, b)
		}
		e, errs := c.compileRow(r, name, base)
		if len(errs) > 0 || c.fatalErr() != nil {
			return nil, false
		}
		entries.set(name, e)
	}
	slices.Sort(touched)
	entries.build(t)
	t.touched = slices.Compact(touched)
	return t, true
}

// maxOverlay is how many names an incremental table holds on top of the
// entries it shares (Table.over) before it merges them into a map of its
// own: a reload of a few rows copies only the names changed since the
// last merge, and a lookup looks in a small map first.
var maxOverlay = 256 // a variable for the tests

// overlay builds the entries of a table from those of prev: the names
// changed since prev's shared entries, in a map of their own.
type overlay struct {
	prev *Table
	over map[string]*Entry // nil: the name is gone
	n    int
}

func newOverlay(prev *Table) *overlay {
	o := &overlay{prev: prev, over: make(map[string]*Entry, len(prev.over)+4), n: prev.Len()}
	maps.Copy(o.over, prev.over)
	return o
}

func (o *overlay) lookup(name string) bool {
	if e, ok := o.over[name]; ok {
		return e != nil
	}
	_, ok := o.prev.entries[name]
	return ok
}

func (o *overlay) set(name string, e *Entry) {
	if !o.lookup(name) {
		o.n++
	}
	o.over[name] = e
}

func (o *overlay) remove(name string) {
	if !o.lookup(name) {
		return
	}
	o.n--
	if _, shared := o.prev.entries[name]; shared {
		o.over[name] = nil
	} else {
		delete(o.over, name)
	}
}

// build sets t's entries: prev's shared ones with the overlay on top, or
// past maxOverlay names one map of them all.
func (o *overlay) build(t *Table) {
	if len(o.over) <= maxOverlay {
		t.entries, t.over, t.n = o.prev.entries, o.over, o.n
		return
	}
	merged := make(map[string]*Entry, o.n)
	maps.Copy(merged, o.prev.entries)
	for name, e := range o.over {
		if e == nil {
			delete(merged, name)
		} else {
			merged[name] = e
		}
	}
	t.entries = merged
}

// apply returns the cache with the changed rows (changedSince's, in id
// order, with their markers; rows are what was fetched for them, index by
// index) applied: the cache of an incremental table. When each changed
// row is an update that kept its fname, the new cache shares c's rows
// (10,000 rows are 400 KB to copy on every reload) and only its highest
// marker moves: the markers of those rows then lag behind, which costs
// nothing but a fetch of them again should a later reload read every
// marker (a marker only grows, so a stale one never matches), and
// changedSince asks above the highest.
func (c *rowCache) apply(changed []cachedRow, rows []apiRow) *rowCache {
	if sameRows(c, changed, rows) {
		out := &rowCache{rows: c.rows, grows: c.grows, top: c.top}
		for _, ch := range changed {
			v, ok := parseMarker(ch.ver) // changedSince wrote it
			out.top, out.grows = max(out.top, v), out.grows && ok
		}
		return out
	}
	out := &rowCache{rows: make([]cachedRow, 0, len(c.rows)+len(changed)), grows: c.grows, top: c.top}
	j := 0
	for i, ch := range changed {
		k := j
		for k < len(c.rows) && c.rows[k].id < ch.id {
			k++
		}
		out.rows = append(out.rows, c.rows[j:k]...)
		if k < len(c.rows) && c.rows[k].id == ch.id {
			k++
		}
		j = k
		out.rows = append(out.rows, cachedRow{id: ch.id, ver: ch.ver, fname: rows[i].Fname})
		v, ok := parseMarker(ch.ver) // changedSince wrote it
		out.top, out.grows = max(out.top, v), out.grows && ok
	}
	out.rows = append(out.rows, c.rows[j:]...)
	return out
}

// sameRows reports whether every changed row is in c under the same
// fname (see rowCache.apply).
func sameRows(c *rowCache, changed []cachedRow, rows []apiRow) bool {
	for i, ch := range changed {
		j, found := slices.BinarySearchFunc(c.rows, ch.id, func(r cachedRow, id int64) int { return cmp.Compare(r.id, id) })
		if !found || c.rows[j].fname != rows[i].Fname {
			return false
		}
	}
	return true
}

// entryName is the name of the entry of a tb_api row called fname.
func entryName(fname string) string { return strings.ToLower(strings.TrimSpace(fname)) }

// diffTouched is diffTables for a table built by compileIncremental from
// old: only the names it touched can differ.
func diffTouched(old, cur *Table) Diff {
	d := Diff{Total: cur.Len()}
	for _, name := range cur.touched { // sorted
		o, inOld := old.Lookup(name)
		e, inCur := cur.Lookup(name)
		switch {
		case inCur && !inOld:
			d.Added = append(d.Added, name)
		case inOld && !inCur:
			d.Removed = append(d.Removed, name)
		case inOld && inCur && o != e && o.fingerprint != e.fingerprint:
			d.Changed = append(d.Changed, name)
		}
	}
	return d
}

// builtFrom reports whether cur was built by compileIncremental from old
// (so that only cur.touched can differ).
func builtFrom(cur, old *Table) bool {
	return old != nil && cur.base != 0 && cur.base == old.gen
}
