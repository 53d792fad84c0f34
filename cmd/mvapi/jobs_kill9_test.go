package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/internal/mvtest"
)

// TestKill9DuringTaskRun: 3 real nodes on one database run an @every 1s
// task that takes 0.6 s; the node running it is killed with SIGKILL in the
// middle of the run. Another node runs the task again within nodelease and a
// few seconds (not jobtimeout, 600 s), the dead run is closed as failed, and
// no two runs ever overlap.
func TestKill9DuringTaskRun(t *testing.T) {
	bin := buildBinary(t)
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) { kill9DuringTaskRun(t, bin, dsn) })
}

type jobRun struct {
	ID       int64      `db:"id"`
	Node     string     `db:"node"`
	Tick     time.Time  `db:"tick"`
	Started  time.Time  `db:"started"`
	Finished *time.Time `db:"finished"`
	OK       *int       `db:"ok"`
	Result   *string    `db:"result"`
}

// pidOfNode reads the pid out of a scheduler node name (host-pid-random).
func pidOfNode(node string) int {
	parts := strings.Split(node, "-")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

func kill9DuringTaskRun(t *testing.T, bin, dsn string) {
	const lease = 3 * time.Second
	// A 0.6 s action: pg_sleep on PostgreSQL, WAITFOR on SQL Server; SQLite
	// has no sleep, so there the action is the sleep command.
	body, action := "SELECT pg_sleep(0.6)", 8
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		body, action = "sleep 0.6", 7
	case strings.HasPrefix(dsn, "sqlserver:"):
		body = "WAITFOR DELAY '00:00:00.600'"
	}
	args := []string{"--db", dsn, "--set", "nodeheartbeat=1", "--set", "nodelease=" + strconv.Itoa(int(lease/time.Second)),
		"--set", "changepoll=1", "--set", "allowcmdaction=1", "--set", "authlockoutfailures=0"}
	byPid := map[int]*proc{}
	var procs []*proc
	for range 3 {
		p := startProc(t, bin, freeAddr(t), args...)
		byPid[p.cmd.Process.Pid] = p
		procs = append(procs, p)
	}
	db := openDB(t, dsn)
	if _, err := db.Exec(db.Rebind("INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body) VALUES ('sleepy', '@every 1s', ?, ?)"), action, body); err != nil {
		t.Fatal(err)
	}
	if got := procs[0].get("apientry=apireload"); !strings.HasPrefix(got, "OK: apireload:") {
		t.Fatal(got)
	}
	runs := func() []jobRun {
		var rows []jobRun
		if err := db.Select(&rows, "SELECT id, node, tick, started, finished, ok, result FROM tb_jobruns WHERE job LIKE 'task:%:sleepy' ORDER BY started, id"); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	logs := func() string {
		var b strings.Builder
		for pid, p := range byPid {
			b.WriteString("--- node pid " + strconv.Itoa(pid) + "\n" + p.log.String() + "\n")
		}
		return b.String()
	}

	// Kill the node of a run still going; if that run finished between the
	// look and the kill (a loaded machine), try again on the nodes left.
	var dead jobRun
	var killedAt time.Time
	alive := len(procs)
	for dead.ID == 0 {
		if alive < 2 {
			t.Fatalf("could not kill a node while it ran the task; runs %+v", runs())
		}
		var victim *proc
		var running jobRun
		for deadline := time.Now().Add(60 * time.Second); victim == nil; time.Sleep(10 * time.Millisecond) {
			for _, r := range runs() {
				if p := byPid[pidOfNode(r.Node)]; r.Finished == nil && p != nil {
					victim, running = p, r
				}
			}
			if victim == nil && time.Now().After(deadline) {
				t.Fatalf("no run of the task within 60 s; runs %+v\n%s", runs(), logs())
			}
		}
		if err := victim.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		killedAt = time.Now()
		victim.wait(10 * time.Second)
		delete(byPid, victim.cmd.Process.Pid)
		alive--
		for _, r := range runs() {
			if r.ID == running.ID && r.Finished == nil {
				dead = r
			}
		}
		if dead.ID == 0 {
			t.Logf("run %d finished before the kill landed; killing another node", running.ID)
		}
	}
	t.Logf("killed pid %d while it ran tick %v (started %v)", pidOfNode(dead.Node), dead.Tick.Format("15:04:05"), dead.Started.Format("15:04:05.000"))

	// Another node runs the task again, and then keeps running it.
	var recovered time.Duration
	var after []jobRun
	for deadline := killedAt.Add(lease + 30*time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = after[:0]
		for _, r := range runs() {
			if r.Started.After(dead.Started) && r.Finished != nil && r.OK != nil && *r.OK == 1 {
				after = append(after, r)
			}
		}
		if len(after) > 0 && recovered == 0 {
			recovered = time.Since(killedAt)
		}
		if len(after) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d successful runs after the kill within lease %v + 30 s; runs %+v\n%s", len(after), lease, runs(), logs())
		}
	}
	t.Logf("the task ran again on another node %v after the kill (nodelease %v, jobtimeout 600 s); %d runs since", recovered.Round(100*time.Millisecond), lease, len(after))
	if recovered > lease+20*time.Second {
		t.Fatalf("the task ran again only %v after the kill", recovered)
	}

	all := runs()
	for _, r := range all {
		if r.ID != dead.ID {
			continue
		}
		if r.Finished == nil || r.OK == nil || *r.OK != 0 || r.Result == nil || !strings.HasPrefix(*r.Result, "ERROR: reclaimed at ") {
			t.Fatalf("the dead node's run was not closed as failed: %+v", r)
		}
	}
	// No two runs overlap: each starts after the previous one finished (only
	// the last may still be going).
	for i := 1; i < len(all); i++ {
		prev, cur := all[i-1], all[i]
		if prev.Finished == nil || cur.Started.Before(*prev.Finished) {
			t.Fatalf("run %d (%s, %v) started before run %d (%s) finished (%v); runs %+v", cur.ID, cur.Node, cur.Started, prev.ID, prev.Node, prev.Finished, all)
		}
	}
	t.Logf("%d runs, none overlapping", len(all))
}
