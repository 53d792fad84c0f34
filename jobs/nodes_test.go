package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/internal/mvtest"
	"mvapi/jobs"
	"mvapi/schema"
)

// leaseSets: a 1 s heartbeat and a 5 s lease.
var leaseSets = map[string]string{"nodeheartbeat": "1", "nodelease": "5"}

func testScheduler(t *testing.T, dsn, node string) (*jobs.Scheduler, *schema.DB) {
	t.Helper()
	db := mvtest.MustOpen(t, dsn)
	return mvtest.MustStack(t, db, leaseSets, actions.Deps{}).Jobs.OtherNode(node), db
}

type runRow struct {
	Node     string     `db:"node"`
	Finished *time.Time `db:"finished"`
	OK       *int       `db:"ok"`
	Result   *string    `db:"result"`
}

// TestGoneNodeRunReclaimed: an unfinished run older than nodelease whose
// node stopped its heartbeat is closed as failed with a note, and the tick
// runs; a run of a node that still beats, or a young run, blocks the tick.
func TestGoneNodeRunReclaimed(t *testing.T) { mvtest.ForEachDB(t, testGoneNodeRunReclaimed) }

func testGoneNodeRunReclaimed(t *testing.T, dsn string) {
	s, db := testScheduler(t, dsn, "this-node")
	now := time.Now().UTC()
	ran := 0
	run := func(context.Context) (string, error) { ran++; return "OK: ran", nil }
	insertRun := func(job, node string, started time.Time) {
		mvtest.MustExec(t, db, "INSERT INTO tb_jobruns (job, tick, node, started) VALUES (?, ?, ?, ?)", job, started.Truncate(time.Second), node, started)
	}
	beat := func(node string, at time.Time) {
		mvtest.MustExec(t, db, "INSERT INTO tb_nodes (node, heartbeat, started, version) VALUES (?, ?, ?, '')", node, at, at)
	}
	runsOf := func(job string) []runRow {
		var rows []runRow
		if err := db.Select(&rows, db.Rebind("SELECT node, finished, ok, result FROM tb_jobruns WHERE job = ? ORDER BY id"), job); err != nil {
			t.Fatal(err)
		}
		return rows
	}

	// Gone: started 30 s ago, last heartbeat 30 s ago.
	insertRun("gone", "dead-node", now.Add(-30*time.Second))
	beat("dead-node", now.Add(-30*time.Second))
	// Never beat at all (a node of an older version, or one that died at
	// once): reclaimed too once the run is older than the lease.
	insertRun("nobeat", "silent-node", now.Add(-30*time.Second))
	// Alive: an old run of a node that beats now.
	insertRun("alive", "live-node", now.Add(-30*time.Second))
	beat("live-node", now)
	// Young: a run of 1 s by a node without a heartbeat yet.
	insertRun("young", "new-node", now.Add(-time.Second))

	for _, job := range []string{"gone", "nobeat"} {
		ran = 0
		s.TickEvery("@every 1s", job, run)
		rows := runsOf(job)
		if ran != 1 || len(rows) != 2 {
			t.Fatalf("%s: ran %d times, %d rows", job, ran, len(rows))
		}
		old := rows[0]
		if old.Finished == nil || old.OK == nil || *old.OK != 0 || old.Result == nil || !strings.HasPrefix(*old.Result, "ERROR: reclaimed at ") {
			t.Fatalf("%s: the gone node's run is %+v", job, old)
		}
		if !old.Finished.Before(now) {
			t.Fatalf("%s: reclaimed run finished %v, after the reclaim began (%v)", job, old.Finished, now)
		}
		t.Logf("%s: %s", job, *old.Result)
		if rows[1].Node != "this-node" || rows[1].OK == nil || *rows[1].OK != 1 {
			t.Fatalf("%s: new run %+v", job, rows[1])
		}
	}
	for _, job := range []string{"alive", "young"} {
		ran = 0
		s.TickEvery("@every 1s", job, run)
		rows := runsOf(job)
		if ran != 0 || len(rows) != 1 || rows[0].Finished != nil {
			t.Fatalf("%s: ran %d times, rows %+v: the run still going must block the tick", job, ran, rows)
		}
	}
}

// TestHeartbeat: a started scheduler keeps its row of tb_nodes fresh and
// removes it when it stops.
func TestHeartbeat(t *testing.T) {
	s, db := testScheduler(t, mvtest.FreshDSN(t, "sqlite"), "beating-node")
	s.Start()
	beats := func() (n int, last time.Time) {
		var rows []struct {
			Heartbeat time.Time `db:"heartbeat"`
			Version   string    `db:"version"`
		}
		if err := db.Select(&rows, "SELECT heartbeat, version FROM tb_nodes WHERE node = 'beating-node'"); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return 0, time.Time{}
		}
		return len(rows), rows[0].Heartbeat
	}
	var first time.Time
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n, hb := beats()
		if n == 1 && first.IsZero() {
			first = hb
		}
		if n == 1 && hb.After(first) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no second heartbeat within 20 s (rows %d, first %v)", n, first)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Stop(ctx)
	if n, _ := beats(); n != 0 {
		t.Fatalf("%d rows of a stopped node", n)
	}
}
