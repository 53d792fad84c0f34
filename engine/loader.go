package engine

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"

	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// ActionKind compiles custom_action bodies of one kind (email, SMS, SQL...).
// cfg is the global config in force when the table is compiled (a kind
// that global config switches off fails to compile, saying which option).
type ActionKind interface {
	Compile(body string, d schema.Dialect, cfg *Config) (Action, error)
}

// Action is a compiled custom_action, run after an entry answered.
type Action interface {
	Run(ctx context.Context, c *Call, res format.Result) error
}

// StatementsAction is an Action that runs SQL: a SQL action's statement,
// the {select ...} sub-queries of a body. The loader checks each against
// the database as it checks customsql.
type StatementsAction interface {
	Statements() []*sqltemplate.Template
}

// ActionNames names the custom_action base codes of the reference.
var ActionNames = map[int]string{1: "email", 2: "SMS", 3: "call ring", 4: "restart", 5: "mssqlrestart", 6: "reboot", 7: "command", 8: "SQL"}

// apiRow is one row of tb_api.
type apiRow struct {
	ID               int64           `db:"id"`
	Fname            string          `db:"fname"`
	ReqKey           sql.NullInt64   `db:"req_key"`
	ReqIP            sql.NullInt64   `db:"req_ip"`
	ReqUser          sql.NullInt64   `db:"req_user"`
	ReqUserMode      sql.NullInt64   `db:"req_user_mode"`
	ReqUserCredit    sql.NullFloat64 `db:"req_user_credit"`
	ReqUserRegister  sql.NullInt64   `db:"req_user_register"`
	ReqUserLogin     sql.NullInt64   `db:"req_user_login"`
	CustomSQL        sql.NullString  `db:"customsql"`
	CustomAction     sql.NullInt64   `db:"custom_action"`
	CustomActionBody sql.NullString  `db:"custom_action_body"`
	Enabled          sql.NullInt64   `db:"enabled"`
	Rule             sql.NullString  `db:"rule"`
	Description      sql.NullString  `db:"description"`
	ReadOnly         int64           `db:"readonly"`

	// fp is fingerprint(r) once computed (a row kept from the previous
	// load keeps it).
	fp string
	// kept is the entry of the table in force that the compiler takes
	// over for a row unchanged since that table was compiled (nil for a
	// row read from the database): only ID, Fname, fp and Description
	// are set then (see loadRowsCached).
	kept *Entry
}

// rowCache is what a table remembers of the tb_api rows it was compiled
// from, for the next reload: per row, in id order, its id, change marker
// (Dialect.APIRowVersion) and fname, not the row itself: a row whose
// marker did not move keeps the entry compiled from it (loadRowsCached).
type rowCache struct {
	rows []cachedRow
	// top is the highest marker of rows, when the dialect's markers grow
	// (Dialect.APIRowVersionGrows; grows is false otherwise): the next
	// reload asks only for the rows above it (changedSince).
	top   int64
	grows bool
}

// cachedRow is one row of a rowCache.
type cachedRow struct {
	id    int64
	ver   string
	fname string
}

// newRowCache remembers rows with their markers vers, index by index;
// grows says that the markers are integers that only grow. top, when
// known (>= 0), is their highest; else newRowCache reads every marker.
func newRowCache(rows []apiRow, vers []string, grows bool, top int64) *rowCache {
	c := &rowCache{rows: make([]cachedRow, len(rows)), grows: grows, top: max(top, 0)}
	for i := range rows {
		c.rows[i] = cachedRow{id: rows[i].ID, ver: vers[i], fname: rows[i].Fname}
		if grows && top < 0 {
			v, ok := parseMarker(vers[i])
			c.top, c.grows = max(c.top, v), c.grows && ok
		}
	}
	return c
}

// parseMarker reads a marker of a dialect whose markers grow (a decimal
// integer).
func parseMarker(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// apiRowColumns are the columns of apiRowQuery, for a WHERE of one's own.
func apiRowColumns(d schema.Dialect) string {
	return `SELECT id, fname, req_key, req_ip, req_user, req_user_mode, req_user_credit,
 req_user_register, req_user_login, customsql, custom_action, custom_action_body, enabled, ` +
		d.IdentAs("rule") + `, description, readonly FROM tb_api`
}

// apiRowQuery reads tb_api; rule is quoted (a reserved word in T-SQL).
func apiRowQuery(d schema.Dialect) string {
	rule := d.IdentAs("rule")
	return `SELECT id, fname, req_key, req_ip, req_user, req_user_mode, req_user_credit,
 req_user_register, req_user_login, customsql, custom_action, custom_action_body, enabled, ` +
		rule + `, description, readonly FROM tb_api ORDER BY id`
}

// RowError is one tb_api row (or, with Table set, a row of another
// table compiled with it) that does not compile.
type RowError struct {
	Table string // "" means tb_api
	ID    int64
	Fname string
	Field string
	Err   error
}

func (e *RowError) Error() string {
	if e.Table != "" {
		return fmt.Sprintf("%s id=%d name=%q: %s: %v", e.Table, e.ID, e.Fname, e.Field, e.Err)
	}
	return fmt.Sprintf("tb_api id=%d fname=%q: %s: %v", e.ID, e.Fname, e.Field, e.Err)
}

// CompileError lists every bad row of one load.
type CompileError struct{ Rows []*RowError }

func (e *CompileError) Error() string {
	msgs := make([]string, len(e.Rows))
	for i, r := range e.Rows {
		msgs[i] = r.Error()
	}
	return fmt.Sprintf("%d bad row(s): %s", len(e.Rows), strings.Join(msgs, "; "))
}

// compiler turns the registry and tb_api rows into a Table.
type compiler struct {
	reg     *Registry
	actions map[int]ActionKind
	dialect schema.Dialect
	cfg     *Config
	runSQL  func(*sqltemplate.Template) Handler
	// prev is the table in force (nil for none): an entry of an unchanged
	// row is taken from it instead of compiled again (see reuse).
	prev *Table
	// check, when set, asks the live database whether a compiled
	// statement would run (Engine.checkSQL); nil skips the check. ctx is
	// the load's context for it, and fatal the first error of the
	// database itself (not of a row), which fails the whole load.
	check func(context.Context, *sqltemplate.Template) (rowErr, fatal error)
	ctx   context.Context

	fatalMu sync.Mutex // rows may compile in parallel (compileRows)
	fatal   error
}

// fatalErr is the first error of the database itself met while compiling.
func (c *compiler) fatalErr() error {
	c.fatalMu.Lock()
	defer c.fatalMu.Unlock()
	return c.fatal
}

// checkStatement checks t against the database when the compiler has a
// check; a refusal is the row's error, trouble with the database is kept
// in c.fatal.
func (c *compiler) checkStatement(t *sqltemplate.Template) error {
	if c.check == nil || c.fatalErr() != nil {
		return nil
	}
	rowErr, fatal := c.check(c.ctx, t)
	if fatal != nil {
		c.fatalMu.Lock()
		if c.fatal == nil {
			c.fatal = fatal
		}
		c.fatalMu.Unlock()
	}
	return rowErr
}

// loadRows reads tb_api (scanned field by field: no reflection); hint is
// how many rows are expected (0: unknown).
func loadRows(ctx context.Context, db *schema.DB, hint int) ([]apiRow, error) {
	q, err := db.QueryContext(ctx, apiRowQuery(db.Dialect))
	if err != nil {
		return nil, fmt.Errorf("load tb_api: %w", err)
	}
	defer q.Close()
	rows := make([]apiRow, 0, max(hint+8, 64))
	for q.Next() {
		var r apiRow
		if err := q.Scan(&r.ID, &r.Fname, &r.ReqKey, &r.ReqIP, &r.ReqUser, &r.ReqUserMode, &r.ReqUserCredit,
			&r.ReqUserRegister, &r.ReqUserLogin, &r.CustomSQL, &r.CustomAction, &r.CustomActionBody, &r.Enabled,
			&r.Rule, &r.Description, &r.ReadOnly); err != nil {
			return nil, fmt.Errorf("load tb_api: %w", err)
		}
		rows = append(rows, r)
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("load tb_api: %w", err)
	}
	return rows, nil
}

// scanRows reads the rows of an apiRowColumns query.
func scanRows(q *sql.Rows, rows []apiRow) ([]apiRow, error) {
	for q.Next() {
		var r apiRow
		if err := q.Scan(&r.ID, &r.Fname, &r.ReqKey, &r.ReqIP, &r.ReqUser, &r.ReqUserMode, &r.ReqUserCredit,
			&r.ReqUserRegister, &r.ReqUserLogin, &r.CustomSQL, &r.CustomAction, &r.CustomActionBody, &r.Enabled,
			&r.Rule, &r.Description, &r.ReadOnly); err != nil {
			return nil, fmt.Errorf("load tb_api: %w", err)
		}
		rows = append(rows, r)
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("load tb_api: %w", err)
	}
	return rows, nil
}

// fetchChunk is the most ids one query of loadRowsCached asks for; more
// changed rows than maxFetch read the whole table instead.
const (
	fetchChunk = 500
	maxFetch   = 2000
)

// loadRowsCached reads tb_api like loadRows, in id order, but on a dialect
// with a row change marker (Dialect.APIRowVersion) it reads (id, marker)
// of every row and fetches only the rows that are not in prev with the
// same marker: a reload where one row of 10,000 changed reads 10,000
// pairs and one row. Where markers grow (SQLite) it reads only the pairs
// above prev's highest marker, unless a row was deleted (changedSince):
// one pair and one row. A row whose marker did not move comes back kept
// (apiRow.kept) when table, the table prev belongs to, holds the entry
// compiled from it: the compiler takes that entry over. table is nil when
// its entries may not be reused (another config): every row is fetched.
// It returns the cache of what it read, for the next load (nil without a
// marker). A row changed between the two reads is fetched in its newer
// form under the older marker, and so fetched again next time: a change
// is never missed.
func loadRowsCached(ctx context.Context, db *schema.DB, prev *rowCache, table *Table) ([]apiRow, *rowCache, error) {
	verExpr := db.Dialect.APIRowVersion()
	if verExpr == "" {
		hint := 0
		if table != nil {
			hint = table.Len()
		}
		rows, err := loadRows(ctx, db, hint)
		return rows, nil, err
	}
	if prev == nil {
		prev = &rowCache{}
	}
	rows := rowsBuffer(len(prev.rows) + 8)
	vers := make([]string, 0, len(prev.rows)+8)
	var pending []int   // indexes in rows of the rows to fetch (placeholders)
	var missing []int64 // their ids
	// keep takes prev's row c over when table holds its entry, else
	// fetches it again.
	keep := func(c *cachedRow) {
		if r, ok := keptRow(c, table); ok {
			rows = append(rows, r)
		} else {
			pending = append(pending, len(rows))
			missing = append(missing, c.id)
			rows = append(rows, apiRow{ID: c.id})
		}
		vers = append(vers, c.ver)
	}
	changed, since, err := changedSince(ctx, db, prev, table)
	if err != nil {
		return nil, nil, err
	}
	top := int64(-1) // the highest marker, when known without reading them all
	if since {
		top = prev.top
		for _, c := range changed {
			v, _ := parseMarker(c.ver) // changedSince wrote it
			top = max(top, v)
		}
		// Every row of prev but those of changed (id order, all in one
		// read of the database) is as it was.
		j := 0
		for _, c := range changed {
			for ; j < len(prev.rows) && prev.rows[j].id < c.id; j++ {
				keep(&prev.rows[j])
			}
			if j < len(prev.rows) && prev.rows[j].id == c.id {
				j++
			}
			pending = append(pending, len(rows))
			missing = append(missing, c.id)
			rows = append(rows, apiRow{ID: c.id})
			vers = append(vers, c.ver)
		}
		for ; j < len(prev.rows); j++ {
			keep(&prev.rows[j])
		}
	} else {
		q, err := db.QueryContext(ctx, "SELECT id, "+verExpr+" FROM tb_api ORDER BY id")
		if err != nil {
			return nil, nil, fmt.Errorf("load tb_api: %w", err)
		}
		defer q.Close()
		var ver sql.RawBytes // both lists are in id order: a merge, no map
		var id int64         // outside the loop: Scan makes it escape
		j := 0
		for q.Next() {
			if err := q.Scan(&id, &ver); err != nil {
				return nil, nil, fmt.Errorf("load tb_api: %w", err)
			}
			for j < len(prev.rows) && prev.rows[j].id < id {
				j++
			}
			if j < len(prev.rows) && prev.rows[j].id == id && prev.rows[j].ver == string(ver) {
				keep(&prev.rows[j])
				continue
			}
			pending = append(pending, len(rows))
			missing = append(missing, id)
			rows = append(rows, apiRow{ID: id})
			vers = append(vers, string(ver))
		}
		if err := q.Err(); err != nil {
			return nil, nil, fmt.Errorf("load tb_api: %w", err)
		}
		q.Close()
	}
	if len(missing) == 0 {
		return rows, newRowCache(rows, vers, db.Dialect.APIRowVersionGrows(), top), nil
	}
	var fetched []apiRow
	if len(missing) > maxFetch {
		if fetched, err = loadRows(ctx, db, len(rows)); err != nil {
			return nil, nil, err
		}
	} else {
		if fetched, err = fetchRows(ctx, db, missing, nil); err != nil {
			return nil, nil, err
		}
	}
	// fetched is in id order (ORDER BY id, or ids of one IN list in any
	// order: sorted below), and so are the pending rows: a merge.
	if !slices.IsSortedFunc(fetched, func(a, b apiRow) int { return cmp.Compare(a.ID, b.ID) }) {
		slices.SortFunc(fetched, func(a, b apiRow) int { return cmp.Compare(a.ID, b.ID) })
	}
	var gone map[int]bool // deleted between the two reads
	k := 0
	for _, i := range pending {
		for k < len(fetched) && fetched[k].ID < rows[i].ID {
			k++
		}
		if k == len(fetched) || fetched[k].ID != rows[i].ID {
			if gone == nil {
				gone = map[int]bool{}
			}
			gone[i] = true
			continue
		}
		rows[i] = fetched[k]
		rows[i].fingerprint()
	}
	if len(gone) > 0 {
		out, outVers := rows[:0], vers[:0]
		for i := range rows {
			if !gone[i] {
				out, outVers = append(out, rows[i]), append(outVers, vers[i])
			}
		}
		rows, vers = out, outVers
	}
	return rows, newRowCache(rows, vers, db.Dialect.APIRowVersionGrows(), top), nil
}

// fetchRows appends to rows the tb_api rows of ids (fetchChunk ids a
// query), in no particular order; an id without a row is left out.
func fetchRows(ctx context.Context, db *schema.DB, ids []int64, rows []apiRow) ([]apiRow, error) {
	for rest := ids; len(rest) > 0; {
		n := min(len(rest), fetchChunk)
		args := make([]any, n)
		marks := make([]string, n)
		for i, id := range rest[:n] {
			args[i], marks[i] = id, "?"
		}
		rest = rest[n:]
		f, err := db.QueryContext(ctx, db.Dialect.Rebind(apiRowColumns(db.Dialect)+" WHERE id IN ("+strings.Join(marks, ", ")+")"), args...)
		if err != nil {
			return nil, fmt.Errorf("load tb_api: %w", err)
		}
		rows, err = scanRows(f, rows)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// changedSince asks, on a dialect whose markers grow, for the rows whose
// marker is above prev's highest: the rows inserted or updated since prev
// was read, in id order, with their markers. since is false (read every
// marker instead) when the dialect's markers do not grow, when prev has
// none or no table may take its entries over, and when a row was deleted
// (the row count, read in the same statement, is not prev's plus the
// new rows): a deleted row leaves no marker.
func changedSince(ctx context.Context, db *schema.DB, prev *rowCache, table *Table) (changed []cachedRow, since bool, err error) {
	if !db.Dialect.APIRowVersionGrows() || !prev.grows || len(prev.rows) == 0 || table == nil {
		return nil, false, nil
	}
	ver := db.Dialect.APIRowVersion()
	// One statement, so one snapshot: the count and the rows agree. The
	// row of k = 0 is the count, in whatever place it comes. As a scalar
	// subquery SQLite counts the rowver index's pages (OP_Count); as an
	// arm of the UNION it would step through its 10,000 entries (7 times
	// slower).
	q, err := db.QueryContext(ctx, db.Dialect.Rebind("SELECT 0 AS k, (SELECT COUNT(*) FROM tb_api) AS id, 0 AS ver UNION ALL SELECT 1, id, "+
		ver+" FROM tb_api WHERE "+ver+" > ?"), prev.top)
	if err != nil {
		return nil, false, fmt.Errorf("load tb_api: %w", err)
	}
	defer q.Close()
	var count, added int64
	var k, id, v int64
	for q.Next() {
		if err := q.Scan(&k, &id, &v); err != nil {
			return nil, false, fmt.Errorf("load tb_api: %w", err)
		}
		if k == 0 {
			count = id
			continue
		}
		changed = append(changed, cachedRow{id: id, ver: strconv.FormatInt(v, 10)})
	}
	if err := q.Err(); err != nil {
		return nil, false, fmt.Errorf("load tb_api: %w", err)
	}
	slices.SortFunc(changed, func(a, b cachedRow) int { return cmp.Compare(a.id, b.id) })
	j := 0
	for _, c := range changed {
		for j < len(prev.rows) && prev.rows[j].id < c.id {
			j++
		}
		if j == len(prev.rows) || prev.rows[j].id != c.id {
			added++
		}
	}
	if count != int64(len(prev.rows))+added {
		return nil, false, nil
	}
	return changed, true, nil
}

// keptRow returns the row c stands for when table holds the entry
// compiled from it (same id and name, not misconfigured), with what the
// compiler compares before it takes the entry over (fingerprint and
// description): the row's marker did not move since that table was
// compiled, so neither did the row.
func keptRow(c *cachedRow, table *Table) (apiRow, bool) {
	if table == nil {
		return apiRow{}, false
	}
	e, ok := table.Lookup(strings.ToLower(strings.TrimSpace(c.fname)))
	if !ok || e.RowID != c.id || c.id == 0 || e.Misconfigured { // id 0 would pass for a built-in in compile
		return apiRow{}, false
	}
	return apiRow{ID: c.id, Fname: c.fname, fp: e.fingerprint, Description: sql.NullString{String: e.Description, Valid: true}, kept: e}, true
}

// rowsPool holds the row slices of past loads (*[]apiRow, cleared): a
// reload builds one of 10,000 rows (280 bytes each, most of them the
// kept rows of loadRowsCached) and drops it once compiled; back-to-back
// reloads reuse it instead of making the garbage collector run for it.
var rowsPool sync.Pool

// rowsBuffer returns an empty slice for at least n rows.
func rowsBuffer(n int) []apiRow {
	if p, ok := rowsPool.Get().(*[]apiRow); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]apiRow, 0, n)
}

// releaseRows hands rows, which nothing uses any more, to rowsPool.
func releaseRows(rows []apiRow) {
	rows = rows[:cap(rows)]
	clear(rows) // keep no strings of this load alive
	rows = rows[:0]
	rowsPool.Put(&rows)
}

// yieldEvery is how many rows compile handles before it lets other
// goroutines run: an apireload under load then takes its share of the
// processors among the requests instead of holding one for its whole
// compile (a reload waits a little longer, requests much less).
const yieldEvery = 256

// compile builds a table; on any bad row it returns a *CompileError naming
// every one of them together with a table in which each bad row's entry
// answers that it is not available (misconfigured): what a server starts
// with (see New); a reload discards it. It consumes rows: on a reload
// (c.prev set) the slice goes back to rowsPool (nothing compiled keeps a
// pointer into it); a server's first compile leaves it to the garbage
// collector, so that no buffer outlives the start.
func (c *compiler) compile(rows []apiRow) (*Table, error) {
	if c.prev != nil {
		defer releaseRows(rows)
	}
	t := &Table{entries: make(map[string]*Entry, len(c.reg.byName)+len(rows)), cfg: c.cfg, gen: nextTableGen()}
	reuse := c.prev != nil && c.prev.cfg.sameValues(c.cfg)
	for name, b := range c.reg.byName {
		t.entries[name] = c.builtinEntry(name, b)
	}
	// bad are the rows that failed, in row order: each with its index in
	// rows until the end.
	var bad []indexedRowError
	// seen holds the names of the rows read from the database; a kept row
	// owned its name in c.prev, so no two kept rows share one, and its
	// entry in t.entries (RowID set: built-ins have none) says it holds it.
	seen := map[string]int64{}
	var todo []rowJob
	for i := range rows {
		r := &rows[i]
		name := strings.ToLower(strings.TrimSpace(r.Fname))
		fail := func(field string, err error) {
			bad = append(bad, indexedRowError{i, &RowError{ID: r.ID, Fname: r.Fname, Field: field, Err: err}})
		}
		if name == "" {
			fail("fname", errors.New("empty: set the entry name"))
			continue
		}
		first, dup := seen[name]
		if !dup && r.kept == nil {
			if cur := t.entries[name]; cur != nil && cur.RowID != 0 {
				first, dup = cur.RowID, true // a kept row before this one holds the name
			}
		}
		if dup {
			fail("fname", fmt.Errorf("duplicate of tb_api id=%d: keep one row per entry", first))
			continue
		}
		if r.kept != nil {
			if !reuse { // loadRowsCached keeps only what c.prev holds under c.cfg
				return nil, fmt.Errorf("load tb_api id=%d: the entry of an unchanged row was compiled under another config: reload again", r.ID)
			}
			t.entries[name] = r.kept // unchanged row, same config: compiled the same
			continue
		}
		seen[name] = r.ID
		if reuse {
			if old, ok := c.prev.Lookup(name); ok && old.RowID == r.ID && old.fingerprint == r.fingerprint() &&
				old.Description == r.Description.String {
				t.entries[name] = old // unchanged row, same config: compiled the same
				continue
			}
		}
		// The base is the built-in of that name, if any: a row before
		// this one holding the name made this one a duplicate.
		todo = append(todo, rowJob{index: i, row: r, name: name, base: t.entries[name]})
	}
	c.compileRows(todo)
	for _, j := range todo {
		for _, re := range j.errs {
			bad = append(bad, indexedRowError{j.index, &RowError{ID: j.row.ID, Fname: j.row.Fname, Field: re.Field, Err: re.Err}})
		}
		if len(j.errs) == 0 {
			t.entries[j.name] = j.entry
		} else {
			t.entries[j.name] = misconfigured(j.name, j.row)
		}
	}
	if err := c.fatalErr(); err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		slices.SortStableFunc(bad, func(a, b indexedRowError) int { return cmp.Compare(a.index, b.index) })
		t.bad = make([]*RowError, len(bad))
		for i, b := range bad {
			t.bad[i] = b.err
		}
		return t, &CompileError{Rows: t.bad}
	}
	return t, nil
}

type indexedRowError struct {
	index int
	err   *RowError
}

// rowJob is a row compile has to compile (compileRows): its entry and
// errors once done.
type rowJob struct {
	index int
	row   *apiRow
	name  string
	base  *Entry
	entry *Entry
	errs  []*RowError
}

// parallelRows is how many rows to compile make it worth compiling them
// on every processor: a full reload of a large tb_api, not the few rows
// of an incremental one.
var parallelRows = 512 // a variable for the tests

// compileRows compiles the rows of jobs, on every processor when there are
// many. Rows compile independently of each other (compileRow reads only
// the row, its base and the compiler's fixed fields; a database error is
// kept under fatalMu).
func (c *compiler) compileRows(jobs []rowJob) {
	run := func(j *rowJob) { j.entry, j.errs = c.compileRow(j.row, j.name, j.base) }
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(jobs) < parallelRows || workers < 2 {
		for i := range jobs {
			if i%yieldEvery == yieldEvery-1 {
				runtime.Gosched() // see yieldEvery
			}
			run(&jobs[i])
		}
		return
	}
	var next atomic.Int64 // the next chunk of yieldEvery jobs to take
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				from := int(next.Add(1)-1) * yieldEvery
				if from >= len(jobs) {
					return
				}
				for i := from; i < min(from+yieldEvery, len(jobs)); i++ {
					run(&jobs[i])
				}
				runtime.Gosched() // see yieldEvery
			}
		})
	}
	wg.Wait()
}

// builtinEntry is the entry of the built-in b called name that no
// tb_api row shadows.
func (c *compiler) builtinEntry(name string, b *Builtin) *Entry {
	return &Entry{
		Name: name, Access: b.Access, Enabled: true, Params: b.Params,
		Handler: b.Handler, NeedsUser: b.NeedsUser, Builtin: true, Description: b.Doc, fingerprint: "builtin",
		restUser: c.reg.readsUser[name],
	}
}

// misconfigured is the entry of a tb_api row that does not compile, in
// the table a server starts with: it answers every caller that it is not
// available (ServeSnapshot), whatever the built-in of that name does.
func misconfigured(name string, r *apiRow) *Entry {
	return &Entry{
		Name: name, Enabled: true, RowID: r.ID, Misconfigured: true, Access: PublicAPI,
		Description: r.Description.String, fingerprint: "misconfigured:" + r.fingerprint(),
		Handler: func(context.Context, *Call) (format.Result, error) {
			return Failf(KindUnavailable, "apientry %s is not available (misconfigured)", name), nil
		},
	}
}

func (c *compiler) compileRow(r *apiRow, name string, base *Entry) (*Entry, []*RowError) {
	var errs []*RowError
	fail := func(field string, err error) { errs = append(errs, &RowError{Field: field, Err: err}) }
	e := &Entry{Name: name, Enabled: true, RowID: r.ID, Description: r.Description.String}
	if base != nil {
		e.Access, e.Params, e.Handler, e.Builtin = base.Access, base.Params, base.Handler, true
		e.NeedsUser = base.NeedsUser
	} else {
		e.Access = UserAPI
	}
	a := &e.Access
	if r.ReqKey.Valid {
		a.ReqKey = int(r.ReqKey.Int64)
	}
	if r.ReqIP.Valid {
		a.ReqIP = int(r.ReqIP.Int64)
	}
	if r.ReqUser.Valid && r.ReqUser.Int64 != LevelDefault {
		a.ReqUser = int(r.ReqUser.Int64)
	}
	if r.ReqUserMode.Valid && r.ReqUserMode.Int64 != 0 {
		a.ReqUserMode = int(r.ReqUserMode.Int64)
	}
	if r.ReqUserCredit.Valid && r.ReqUserCredit.Float64 != 0 {
		a.ReqUserCredit = r.ReqUserCredit.Float64
	}
	if r.ReqUserRegister.Valid {
		a.ReqUserRegister = int(r.ReqUserRegister.Int64)
	}
	if r.ReqUserLogin.Valid {
		a.ReqUserLogin = int(r.ReqUserLogin.Int64)
	}
	if r.Enabled.Valid && r.Enabled.Int64 == 0 {
		e.Enabled = false
	}
	if err := checkAccess(a); err != nil {
		fail("access", err)
	}
	if sqlText := strings.TrimSpace(r.CustomSQL.String); sqlText != "" {
		sqlText, err := TranslateSQL(sqlText, c.dialect, c.cfg)
		var tmpl *sqltemplate.Template
		if err == nil {
			tmpl, err = sqltemplate.Compile(sqlText, c.dialect)
		}
		if err == nil {
			err = c.checkStatement(tmpl)
		}
		if err != nil {
			fail("customsql", err)
		} else {
			e.SQL = tmpl
			e.Handler = c.runSQL(tmpl)
			e.NeedsUser = false
			e.Params = sparamNames(tmpl)
		}
	}
	if err := readOnlyRow(r, e); err != nil {
		fail("readonly", err)
	}
	if r.CustomAction.Valid && r.CustomAction.Int64 != 0 {
		act, err := c.compileAction(int(r.CustomAction.Int64), r.CustomActionBody.String)
		switch {
		case err != nil:
			fail("custom_action", err)
		case r.CustomAction.Int64 > 50:
			e.OnFailure = act
		default:
			e.OnSuccess = act
		}
	}
	if src := strings.TrimSpace(r.Rule.String); src != "" {
		prog, err := expr.Compile(src, expr.Env(ruleEnv{}), expr.AsBool())
		if err != nil {
			fail("rule", err)
		}
		e.Rule = prog
	}
	if e.Handler == nil && e.OnSuccess == nil && len(errs) == 0 {
		fail("customsql", errors.New("a new entry needs customsql or custom_action (or fname must name a built-in)"))
	}
	if e.Handler == nil {
		e.Handler = func(context.Context, *Call) (format.Result, error) { return OK("done"), nil }
	}
	e.fingerprint = r.fingerprint()
	e.restUser = e.SQL == nil && base != nil && base.restUser || e.SQL != nil && templateReadsUser(e.SQL) ||
		e.Rule != nil || r.CustomAction.Int64 != 0 && strings.Contains(r.CustomActionBody.String, "{")
	if e.SQL != nil && e.SQL.ReturnsRows() && c.dialect.PrepareStatements() { // else run unprepared (schema.Dialect.PrepareStatements)
		e.sqlStmt = &entryStmt{inProcess: c.dialect.InProcess()}
	}
	return e, errs
}

func (c *compiler) compileAction(code int, body string) (Action, error) {
	base := code
	if code > 50 {
		base = code - 50
	}
	name, known := ActionNames[base]
	if !known || code < 0 || code > 58 {
		return nil, fmt.Errorf("unknown code %d: use 1 email, 2 SMS, 4 restart, 6 reboot, 7 command, 8 SQL, or 50 more for failures", code)
	}
	kind, ok := c.actions[base]
	if !ok {
		return nil, fmt.Errorf("code %d (%s) is not available in this server", code, name)
	}
	act, err := kind.Compile(body, c.dialect, c.cfg)
	if err != nil {
		return nil, fmt.Errorf("code %d (%s): %w", code, name, err)
	}
	if sa, ok := act.(StatementsAction); ok {
		for _, t := range sa.Statements() {
			if err := c.checkStatement(t); err != nil {
				return nil, fmt.Errorf("code %d (%s): %w", code, name, err)
			}
		}
	}
	return act, nil
}

func checkAccess(a *Access) error {
	switch a.ReqUser {
	case LevelDisabled, LevelSrvAdmin, LevelAdmins, LevelOwners, LevelSupport, LevelSIPUsers, LevelAll, LevelPublic:
	default:
		return fmt.Errorf("req_user %d: use 2, 4, 6, 8, 10, 11, 12 or 14", a.ReqUser)
	}
	switch a.ReqUserMode {
	case 0, 2, 4, 6:
	default:
		return fmt.Errorf("req_user_mode %d: use 0, 2, 4 or 6", a.ReqUserMode)
	}
	if a.ReqKey != 0 && a.ReqKey != 1 {
		return fmt.Errorf("req_key %d: use 0 or 1", a.ReqKey)
	}
	if a.ReqIP != 0 && a.ReqIP != 1 {
		return fmt.Errorf("req_ip %d: use 0 or 1", a.ReqIP)
	}
	if a.ReqUserRegister < Inherit || a.ReqUserRegister > 2 {
		return fmt.Errorf("req_user_register %d: use NULL, 0, 1 or 2", a.ReqUserRegister)
	}
	if a.ReqUserLogin < Inherit || a.ReqUserLogin > 5 {
		return fmt.Errorf("req_user_login %d: use NULL, 0, 1, 2, 3, 4 or 5", a.ReqUserLogin)
	}
	return nil
}

// sparamNames maps param1..paramN of a custom entry to sparam1..sparamN.
func sparamNames(t *sqltemplate.Template) []string {
	max := 0
	for _, k := range t.Keys() {
		if k.Kind == sqltemplate.SParam {
			// Name is "sparam" and digits; like Sscanf, digits that do not
			// make a number count as 0.
			n, _ := strconv.Atoi(strings.TrimPrefix(k.Name, "sparam"))
			if n > max {
				max = n
			}
		}
	}
	out := make([]string, max)
	for i := range out {
		out[i] = "sparam" + strconv.Itoa(i+1)
	}
	return out
}

// fingerprint identifies what of a row its compiled entry depends on
// (besides fname, id and description): the same fingerprint compiles the
// same. Built with appends, not fmt (apireload runs it for every row).
func fingerprint(r *apiRow) string {
	b := make([]byte, 0, 64+len(r.CustomSQL.String)+len(r.CustomActionBody.String)+len(r.Rule.String))
	nullInt := func(v sql.NullInt64) {
		if v.Valid {
			b = strconv.AppendInt(b, v.Int64, 10)
		} else {
			b = append(b, '-')
		}
		b = append(b, '|')
	}
	text := func(v sql.NullString) { // length-prefixed: no separator can be forged
		if !v.Valid {
			b = append(b, '-')
		}
		b = strconv.AppendInt(b, int64(len(v.String)), 10)
		b = append(b, ':')
		b = append(b, v.String...)
		b = append(b, '|')
	}
	nullInt(r.ReqKey)
	nullInt(r.ReqIP)
	nullInt(r.ReqUser)
	nullInt(r.ReqUserMode)
	if r.ReqUserCredit.Valid {
		b = strconv.AppendFloat(b, r.ReqUserCredit.Float64, 'g', -1, 64)
	} else {
		b = append(b, '-')
	}
	b = append(b, '|')
	nullInt(r.ReqUserRegister)
	nullInt(r.ReqUserLogin)
	text(r.CustomSQL)
	nullInt(r.CustomAction)
	text(r.CustomActionBody)
	nullInt(r.Enabled)
	text(r.Rule)
	text(r.Description) // help and the OpenAPI document show it
	b = strconv.AppendInt(b, r.ReadOnly, 10)
	sum := sha256.Sum256(b)
	return string(sum[:])
}

// fingerprint returns fingerprint(r), computed once per row.
func (r *apiRow) fingerprint() string {
	if r.fp == "" {
		r.fp = fingerprint(r)
	}
	return r.fp
}

// sameValues reports whether two configs hold the same option values, so
// that rows compile the same under both.
func (c *Config) sameValues(o *Config) bool {
	if c == o {
		return true
	}
	if c == nil || o == nil || len(c.values) != len(o.values) {
		return false
	}
	for k, v := range c.values {
		if w, ok := o.values[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ruleEnv is what a tb_api rule condition sees.
type ruleEnv struct {
	User   map[string]any    `expr:"user"`
	Params map[string]string `expr:"params"`
	IP     string            `expr:"ip"`
	Now    time.Time         `expr:"now"`
	Entry  string            `expr:"entry"`
}

// reusable returns prev when its entries may be taken over by a table
// compiled under cfg (the same option values), else nil.
func reusable(prev *Table, cfg *Config) *Table {
	if prev != nil && prev.cfg.sameValues(cfg) {
		return prev
	}
	return nil
}
