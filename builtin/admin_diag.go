package builtin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// Admin diagnostics: what this process and its database are doing. The
// counters (quickstat) and the statements in flight (querylist) are kept by
// the engine since the process started; nothing here is cached elsewhere.

func registerAdminDiag(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "hearthbeat", Params: []string{"mode"}, Handler: hearthbeat,
			Doc: "Server heartbeat: mode=quick (default) answers at once, mode=full also pings the database."},
		{Name: "info", Handler: serverInfo, Doc: "Server status and important parameters as a name/value table."},
		{Name: "shortinfo", Handler: shortInfo, Doc: "Server status in one line."},
		{Name: "quickstat", Handler: quickStat, Doc: "Requests and failures per entry since the server started."},
		{Name: "querylist", Handler: queryList, Doc: "Database statements running now: id, entry, age and SQL text."},
		{Name: "fastusers", Handler: fastUsers, Doc: "Cached users: mvapi keeps no user cache, so none."},
		{Name: "syncusers", Params: []string{"oop"}, Handler: syncUsers, Doc: "Synchronise the user cache: there is none to synchronise."},
		{Name: "deviceid", Handler: deviceID, Doc: "This installation's id (global config deviceid, random on first use)."},
		{Name: "apistatus", Handler: apiStatus, Doc: "Rows that did not compile when the server started (their entries answer not available (misconfigured)) and, per entry, failures of asynchronous customsql and custom_action since the start: count, last error, when."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

func hearthbeat(ctx context.Context, c *engine.Call) (format.Result, error) {
	switch mode := strings.ToLower(strings.TrimSpace(c.Param("mode"))); mode {
	case "", "quick":
		return engine.OK("alive"), nil
	case "full":
		// The readiness probe of /ready: reachable and writable.
		took, err := c.Engine.ProbeDB(ctx)
		if err != nil {
			c.Engine.Logger().Error("hearthbeat: database probe failed", "err", err)
			return engine.Errorf("%v", err), nil
		}
		return engine.OK(fmt.Sprintf("alive, database ok (%s)", took.Round(time.Microsecond))), nil
	default:
		return engine.Errorf("bad mode %q: use quick or full", clipText(mode, 20)), nil
	}
}

// pingDB pings the database within 5 seconds and says how long it took.
func pingDB(ctx context.Context, c *engine.Call) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	err := c.DB().PingContext(ctx)
	return time.Since(start), err
}

func serverInfo(_ context.Context, c *engine.Call) (format.Result, error) {
	e, db := c.Engine, c.DB()
	st := db.Stats()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	ok, failed, unknown := requestTotals(e)
	host, _ := os.Hostname()
	rows := [][]string{
		{"version", e.Version()},
		{"go", runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH},
		{"host", host},
		{"started", e.Started().UTC().Format(time.DateTime)},
		{"uptime", time.Since(e.Started()).Round(time.Second).String()},
		{"database", db.Dialect.Name},
		{"dsn", db.DSN},
		{"db_open", strconv.Itoa(st.OpenConnections)},
		{"db_inuse", strconv.Itoa(st.InUse)},
		{"db_idle", strconv.Itoa(st.Idle)},
		{"db_maxopen", strconv.Itoa(st.MaxOpenConnections)},
		{"db_waits", strconv.FormatInt(st.WaitCount, 10)},
		{"db_wait_ms", strconv.FormatInt(st.WaitDuration.Milliseconds(), 10)},
	}
	rows = append(rows, replicaInfo(e)...)
	rows = append(rows, [][]string{
		{"entries", strconv.Itoa(e.Table().Len())},
		{"requests_ok", strconv.FormatInt(ok, 10)},
		{"requests_failed", strconv.FormatInt(failed, 10)},
		{"requests_unknown_entry", strconv.FormatInt(unknown, 10)},
		{"running_queries", strconv.Itoa(len(e.RunningQueries()))},
		{"goroutines", strconv.Itoa(runtime.NumGoroutine())},
		{"heap_bytes", strconv.FormatUint(mem.HeapAlloc, 10)},
		{"sys_bytes", strconv.FormatUint(mem.Sys, 10)},
	}...)
	return table("mvapi "+e.Version(), []string{"name", "value"}, rows), nil
}

// replicaInfo is the read replica's part of info: "replica" is none, in
// use or not in use (the primary serves the reads), then its lag at the
// last check and its pool like the primary's db_* rows.
func replicaInfo(e *engine.Engine) [][]string {
	db := e.ReplicaDB()
	if db == nil {
		return [][]string{{"replica", "none"}}
	}
	_, inUse, lag := e.ReplicaState()
	state := "not in use (reads from the primary)"
	if inUse {
		state = "in use"
	}
	st := db.Stats()
	return [][]string{
		{"replica", state},
		{"replica_dsn", db.DSN},
		{"replica_lag_ms", strconv.FormatInt(lag.Milliseconds(), 10)},
		{"replica_open", strconv.Itoa(st.OpenConnections)},
		{"replica_inuse", strconv.Itoa(st.InUse)},
		{"replica_idle", strconv.Itoa(st.Idle)},
		{"replica_maxopen", strconv.Itoa(st.MaxOpenConnections)},
		{"replica_waits", strconv.FormatInt(st.WaitCount, 10)},
		{"replica_wait_ms", strconv.FormatInt(st.WaitDuration.Milliseconds(), 10)},
	}
}

func shortInfo(_ context.Context, c *engine.Call) (format.Result, error) {
	e := c.Engine
	ok, failed, _ := requestTotals(e)
	return engine.OK(fmt.Sprintf("mvapi %s, up %s, %s database, %d entries, %d requests (%d failed), %d goroutines",
		e.Version(), time.Since(e.Started()).Round(time.Second), c.DB().Dialect.Name, e.Table().Len(),
		ok+failed, failed, runtime.NumGoroutine())), nil
}

// requestTotals sums the per-entry counters.
func requestTotals(e *engine.Engine) (ok, failed, unknown int64) {
	stats, unknown := e.RequestStats()
	for _, s := range stats {
		ok += s.OK
		failed += s.Failed
	}
	return ok, failed, unknown
}

func quickStat(_ context.Context, c *engine.Call) (format.Result, error) {
	stats, unknown := c.Engine.RequestStats()
	sort.SliceStable(stats, func(i, j int) bool { return stats[i].OK+stats[i].Failed > stats[j].OK+stats[j].Failed })
	var ok, failed int64
	rows := make([][]string, 0, len(stats))
	for _, s := range stats {
		ok += s.OK
		failed += s.Failed
		rows = append(rows, []string{s.Entry, strconv.FormatInt(s.OK+s.Failed, 10),
			strconv.FormatInt(s.OK, 10), strconv.FormatInt(s.Failed, 10)})
	}
	text := fmt.Sprintf("%d requests, %d failed, %d for unknown entries since %s UTC", ok+failed, failed, unknown,
		c.Engine.Started().UTC().Format(time.DateTime))
	return table(text, []string{"entry", "requests", "ok", "failed"}, rows), nil
}

func queryList(_ context.Context, c *engine.Call) (format.Result, error) {
	qs := c.Engine.RunningQueries()
	rows := make([][]string, 0, len(qs))
	for _, q := range qs {
		rows = append(rows, []string{strconv.FormatInt(q.ID, 10), q.Entry,
			strconv.FormatInt(time.Since(q.Started).Milliseconds(), 10), q.SQL})
	}
	return table(fmt.Sprintf("%d running", len(rows)), []string{"id", "entry", "age_ms", "sql"}, rows), nil
}

func fastUsers(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	var n int64
	if err := db.GetContext(ctx, &n, userCountSQL(db.Dialect)); err != nil {
		return format.Result{}, err
	}
	return engine.OK(fmt.Sprintf("0 cached users: mvapi keeps no user cache, every request reads tb_users (%d users)", n)), nil
}

func syncUsers(context.Context, *engine.Call) (format.Result, error) {
	return engine.OK("nothing to synchronise: mvapi keeps no user cache, every request reads tb_users"), nil
}

// deviceID answers the installation id: global config deviceid, else the
// tb_globalconfig row (written by another node or an earlier call), else a
// new random id stored there. Two nodes racing agree on the row that won.
func deviceID(ctx context.Context, c *engine.Call) (format.Result, error) {
	if id := strings.TrimSpace(c.Config.Get("deviceid")); id != "" {
		return engine.OK(id), nil
	}
	db := c.DB()
	read := func() (string, error) {
		var v string
		err := db.GetContext(ctx, &v, deviceIDReadSQL(db.Dialect))
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return strings.TrimSpace(v), err
	}
	id, err := read()
	if err != nil || id != "" {
		if err != nil {
			return format.Result{}, err
		}
		return engine.OK(id), nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return format.Result{}, err
	}
	fresh := hex.EncodeToString(b)
	_, err = db.ExecContext(ctx, deviceIDInsertSQL(db.Dialect), fresh)
	if err != nil && !isUnique(err) {
		return format.Result{}, err
	}
	if err != nil { // the row exists, perhaps empty: fill it only while empty
		if _, err := db.ExecContext(ctx, deviceIDFillSQL(db.Dialect), fresh); err != nil {
			return format.Result{}, err
		}
	}
	if id, err = read(); err != nil || id == "" {
		return format.Result{}, fmt.Errorf("deviceid not stored: %v", err)
	}
	return engine.OK(id), nil
}

var userCountSQL = schema.Statement("SELECT COUNT(*) FROM tb_users")

var deviceIDReadSQL = schema.Statement("SELECT value FROM tb_globalconfig WHERE name = 'deviceid'")

var deviceIDInsertSQL = schema.Statement("INSERT INTO tb_globalconfig (name, value) VALUES ('deviceid', ?)")

var deviceIDFillSQL = schema.Statement("UPDATE tb_globalconfig SET value = ? WHERE name = 'deviceid' AND value = ''")

// apiStatus lists the misconfigured rows and the asynchronous failures per
// entry, one table row each: what, entry, table, id, field, count, error,
// last (UTC).
func apiStatus(_ context.Context, c *engine.Call) (format.Result, error) {
	bad, async := c.Engine.BadRows(), c.Engine.AsyncFailures()
	res := engine.OK(fmt.Sprintf("%d misconfigured, %d with async failures", len(bad), len(async)))
	res.Columns = []string{"status", "entry", "table", "id", "field", "count", "error", "last"}
	res.Rows = [][]string{}
	for _, r := range bad {
		table := r.Table
		if table == "" {
			table = "tb_api"
		}
		res.Rows = append(res.Rows, []string{"misconfigured", strings.ToLower(strings.TrimSpace(r.Fname)), table,
			strconv.FormatInt(r.ID, 10), r.Field, "", r.Err.Error(), ""})
	}
	for _, f := range async {
		res.Rows = append(res.Rows, []string{"async " + f.What + " failed", f.Entry, "", "", "",
			strconv.FormatInt(f.Count, 10), f.LastError, f.Last.UTC().Format("2006-01-02 15:04:05")})
	}
	return res, nil
}
