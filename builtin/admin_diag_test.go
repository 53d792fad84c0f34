package builtin_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/engine"
)

// TestDiagnostics: hearthbeat, info, shortinfo, fastusers, syncusers,
// deviceid, threads, locks and lists answer what is true of this server.
func TestDiagnostics(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		v.user("ann", engine.TypeEndUser, 1)
		kind := v.db.Dialect.Name
		if got := v.admin("hearthbeat"); got != "OK: alive" {
			t.Fatalf("hearthbeat %q", got)
		}
		wantOK(t, v.as("root", "hearthbeat", "mode", "full"), "OK: alive, database ok (")
		wantErr(t, v.as("root", "hearthbeat", "mode", "slow"), "bad mode")

		res := v.as("root", "info")
		wantOK(t, res, "OK: mvapi test")
		info := map[string]string{}
		for _, r := range res.Rows {
			info[r[0]] = r[1]
		}
		if info["version"] != "test" || info["database"] != kind || info["entries"] != strconv.Itoa(v.e.Table().Len()) ||
			info["replica"] != "none" || info["db_wait_ms"] == "" {
			t.Fatalf("info %v", info)
		}
		wantOK(t, v.as("root", "shortinfo"), "OK: mvapi test, up ")
		if got := v.admin("fastusers"); !strings.HasPrefix(got, "OK: 0 cached users") || !strings.Contains(got, "(2 users)") {
			t.Fatalf("fastusers %q", got)
		}
		wantOK(t, v.as("root", "syncusers"), "OK: nothing to synchronise")

		id := v.admin("deviceid")
		if !hex32.MatchString(id) || v.admin("deviceid") != id {
			t.Fatalf("deviceid %q, then %q", id, v.admin("deviceid"))
		}
		if n := v.count("SELECT COUNT(*) FROM tb_globalconfig WHERE name = 'deviceid' AND value = ?", strings.TrimPrefix(id, "OK: ")); n != 1 {
			t.Fatal("deviceid not stored in tb_globalconfig")
		}

		for entry, col := range map[string]string{"threads": "function", "threadlist": "where", "threads2": "stack"} {
			res := v.as("root", entry)
			wantOK(t, res, "OK: ")
			total := 0
			for _, c := range column(t, res, "count") {
				n, _ := strconv.Atoi(c)
				total += n
			}
			if total < 2 || len(column(t, res, col)) == 0 {
				t.Fatalf("%s: %d goroutines: %v", entry, total, res.Rows)
			}
		}
		res = v.as("root", "locks")
		// Other tests may wait for locks in the same database meanwhile.
		wantOK(t, res, "OK: ")
		if !lockWaitsAnswer.MatchString(res.Text) || res.Rows[0][0] != "pool" {
			t.Fatalf("locks %q, rows %v", res.Text, res.Rows)
		}
		if kind == "postgres" {
			testLockWaitListed(t, v)
		}

		res = v.as("root", "lists")
		wantOK(t, res, "OK: ")
		lists := map[string]string{}
		for _, r := range res.Rows {
			lists[r[0]] = r[1]
		}
		if lists["users"] != "2" || lists["banned ips"] != "0" || lists["entries"] != strconv.Itoa(v.e.Table().Len()) {
			t.Fatalf("lists %v", lists)
		}
	})
}

// TestQuickStatCountsPerEntry: answered requests are counted per entry,
// failures apart, unknown entries apart; a reload keeps the counters.
func TestQuickStatCountsPerEntry(t *testing.T) {
	v, _ := adminEnv(t, nil)
	v.user("root", engine.TypeAdmin, 0)
	v.user("ann", engine.TypeEndUser, 1)
	v.as("ann", "balance")
	v.as("ann", "balance")
	v.serve(remoteIP, "balance", "authkey", v.key, "authid", "ann", "authpwd", "wrong-pw")
	v.serve(remoteIP, "nosuchentry")
	wantOK(t, v.as("root", "apireload"), "OK: apireload")
	res := v.as("root", "quickstat")
	if !res.OK || !strings.Contains(res.Text, "1 failed, 1 for unknown entries") || !strings.HasPrefix(res.Text, "OK: 4 requests") {
		t.Fatalf("quickstat %q", res.Text)
	}
	for _, r := range res.Rows {
		if r[0] == "balance" && (r[1] != "3" || r[2] != "2" || r[3] != "1") {
			t.Fatalf("balance row %v", r)
		}
	}
	if !strings.Contains(strings.Join(column(t, res, "entry"), ","), "balance") {
		t.Fatal("balance not counted")
	}
}

// TestQueryListShowsRunningStatements: a customsql statement in flight is
// listed with its entry, age and SQL text, and gone once it ends.
func TestQueryListShowsRunningStatements(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		slow := "SELECT COUNT(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000000) SELECT i FROM r) x"
		if v.db.Dialect.Name == "postgres" {
			slow = "SELECT CAST(pg_sleep(1.5) AS TEXT)"
		}
		v.exec("INSERT INTO tb_api (fname, req_user, customsql) VALUES ('slowq', 6, ?)", slow)
		wantOK(t, v.as("root", "apireload"), "OK: apireload")
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); v.as("root", "slowq") }()
		var seen []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			res := v.as("root", "querylist")
			if len(res.Rows) > 0 {
				seen = res.Rows[0]
				break
			}
		}
		wg.Wait()
		if seen == nil || seen[1] != "slowq" || !strings.Contains(seen[3], "WITH RECURSIVE") && !strings.Contains(seen[3], "pg_sleep") {
			t.Fatalf("querylist while running: %v", seen)
		}
		if res := v.as("root", "querylist"); res.Text != "OK: 0 running" {
			t.Fatalf("after: %q %v", res.Text, res.Rows)
		}
	})
}

// TestReportsCountActivity: reports counts the rows of the last days.
func TestReportsCountActivity(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		ann := v.user("ann", engine.TypeEndUser, 1)
		now := time.Now().UTC()
		v.exec("INSERT INTO tb_cdrs (datum, callerid, called, duration, cost) VALUES (?, ?, '361', 120, 0.5), (?, ?, '362', 60, 0.25)",
			now.Add(-time.Hour), ann, now.Add(-72*time.Hour), ann)
		v.exec("INSERT INTO tb_creditlog (datum, userid, amount, kind) VALUES (?, ?, 5, 'addcredit')", now, ann)
		res := v.as("root", "reports")
		wantOK(t, res, "OK: report of the last 1 day(s)")
		got := map[string]string{}
		for _, r := range res.Rows {
			got[r[0]] = r[1]
		}
		if got["calls"] != "1" || got["call minutes"] != "2" || got["call cost"] != "0.5" || got["credit moved"] != "5" || got["new users"] != "2" {
			t.Fatalf("reports %v", got)
		}
		res = v.as("root", "reports", "days", "7")
		if column(t, res, "value")[1] != "2" {
			t.Fatalf("7 days: %v", res.Rows)
		}
		wantErr(t, v.as("root", "reports", "days", "0"), "bad days")
	})
}

// TestInfoShowsReplica: with a read replica, info shows whether it is in
// use, its lag and its pool beside the primary's. The "replica" here is a
// second pool on the test database: on PostgreSQL a server that is no
// standby has all it wrote (lag 0, in use); SQLite has no replicas mvapi
// can watch, so its check fails and the primary serves.
func TestInfoShowsReplica(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		rdb, err := v.db.OpenAnother(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v.e.UseReplica(ctx, rdb, 5*time.Second)
		info := map[string]string{}
		for _, r := range v.as("root", "info").Rows {
			info[r[0]] = r[1]
		}
		want := "not in use (reads from the primary)"
		if primary, _ := v.db.Dialect.ReplicaPositionSQL(); primary != "" {
			want = "in use"
		}
		if info["replica"] != want || info["replica_dsn"] != rdb.DSN || info["replica_lag_ms"] != "0" {
			t.Fatalf("info replica rows: %v", info)
		}
		for _, name := range []string{"replica_open", "replica_inuse", "replica_idle", "replica_maxopen", "replica_waits", "replica_wait_ms"} {
			if _, err := strconv.Atoi(info[name]); err != nil {
				t.Errorf("info %s = %q, want a number", name, info[name])
			}
		}
		if n, _ := strconv.Atoi(info["replica_open"]); want == "in use" && n < 1 {
			t.Errorf("replica_open %d after a check on it", n)
		}
	})
}

var lockWaitsAnswer = regexp.MustCompile(`^OK: \d+ lock waits in the database, \d+ of \d+ connections in use$`)

// testLockWaitListed: an UPDATE waiting for a row another transaction
// holds is among the lock waits locks lists, with its statement.
func testLockWaitListed(t *testing.T, v *env) {
	ctx := context.Background()
	const update = "UPDATE tb_users SET credit = credit + 0 WHERE username = 'ann'"
	holder, err := v.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(ctx, update); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := v.db.ExecContext(ctx, update) // waits until holder ends
		waited <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := v.as("root", "locks")
		listed := false
		for _, r := range res.Rows[1:] {
			listed = listed || r[0] == "database" && strings.Contains(r[3], update)
		}
		if listed && !strings.HasPrefix(res.Text, "OK: 0 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the waiting UPDATE is not listed: %q %v", res.Text, res.Rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
	holder.Rollback()
	if err := <-waited; err != nil {
		t.Fatalf("the waiting UPDATE: %v", err)
	}
}
