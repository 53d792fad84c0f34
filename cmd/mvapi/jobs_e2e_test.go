package main

import (
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestScheduledTaskOncePerTickAcrossNodes: a 1-second task defined by a DBA
// runs and records its result, and with 3 nodes on one database each tick
// runs exactly once.
func TestScheduledTaskOncePerTickAcrossNodes(t *testing.T) {
	mvtest.ForEachDB(t, testScheduledTaskOncePerTickAcrossNodes)
}

func testScheduledTaskOncePerTickAcrossNodes(t *testing.T, dsn string) {
	nodes := []*testServer{startServer(t, dsn, nodeSets), startServer(t, dsn, nodeSets), startServer(t, dsn, nodeSets)}
	n1 := nodes[0]
	n1.user("root", "adminpw1", engine.TypeAdmin, 0)
	n1.exec(`INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body)
		VALUES ('ticker', '@every 1s', 8, 'INSERT INTO tb_cdrs (caller, called) VALUES (''ticker'', ''x'')')`)
	wantPrefix(t, n1.apireload("root", "adminpw1"), "OK: apireload:")
	time.Sleep(3500 * time.Millisecond)

	var runs, actions, ticks int
	n1.m.DB.Get(&runs, "SELECT COUNT(*) FROM tb_jobruns WHERE job LIKE 'task:%:ticker'")
	n1.m.DB.Get(&ticks, "SELECT COUNT(DISTINCT tick) FROM tb_jobruns WHERE job LIKE 'task:%:ticker'")
	n1.m.DB.Get(&actions, "SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'ticker'")
	var nodesUsed int
	n1.m.DB.Get(&nodesUsed, "SELECT COUNT(DISTINCT node) FROM tb_jobruns WHERE job LIKE 'task:%:ticker'")
	t.Logf("%d runs on %d ticks by %d node(s), %d action rows", runs, ticks, nodesUsed, actions)
	if runs < 2 || runs != ticks {
		t.Fatalf("%d runs for %d ticks: want one run per tick, at least 2", runs, ticks)
	}
	if actions < runs-1 || actions > runs {
		t.Fatalf("%d action rows for %d runs", actions, runs)
	}
	var last string
	n1.m.DB.Get(&last, "SELECT lastresult FROM tb_scheduledtasks WHERE name = 'ticker'")
	if !strings.HasPrefix(last, "OK: ticker done") {
		t.Fatalf("lastresult %q", last)
	}

	// A bad schedule fails apireload and names the row; the task keeps running.
	n1.exec(`INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body) VALUES ('broken', 'every now and then', 8, 'SELECT 1')`)
	body := n1.apireload("root", "adminpw1")
	if !strings.Contains(body, `tb_scheduledtasks id=2 name="broken": schedule:`) {
		t.Fatalf("apireload answered %q", body)
	}
}

func TestMaintenanceEntries(t *testing.T) { mvtest.ForEachDB(t, testMaintenanceEntries) }

func testMaintenanceEntries(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.user("zoe", "zoepass12", engine.TypeEndUser, 0)
	admin := func() []string { return s.md5Auth("root", "adminpw1") } // a fresh salt per request
	s.exec("INSERT INTO tb_nonces (nonce, prefix, ip, created, expires) VALUES ('oldnonce00000000', 'oldnonce00', '', ?, ?)", time.Now().UTC().Add(-2*time.Hour), time.Now().UTC().Add(-time.Hour))
	_, body := s.get(append([]string{"apientry", "hourlymaint"}, admin()...)...)
	wantPrefix(t, body, "OK: hourly maintenance: 1 expired nonces")
	_, body = s.get(append([]string{"apientry", "dailymaint"}, admin()...)...)
	wantPrefix(t, body, "OK: daily maintenance:")
	_, body = s.get(append([]string{"apientry", "dailyreport"}, admin()...)...)
	wantPrefix(t, body, "OK: daily report (no adminemail set, not mailed): new users: 2")
	_, body = s.get(append([]string{"apientry", "maintreset"}, admin()...)...)
	wantPrefix(t, body, "OK: scheduler restarted")
	_, body = s.get(append([]string{"apientry", "rulesreload"}, admin()...)...)
	wantPrefix(t, body, "OK: apireload:")
	_, body = s.get(append([]string{"apientry", "hourlymaint"}, s.md5Auth("zoe", "zoepass12")...)...)
	wantPrefix(t, body, "ERROR: access denied")
	var recorded int
	s.m.DB.Get(&recorded, "SELECT COUNT(*) FROM tb_jobruns WHERE job IN ('hourly', 'daily', 'dailyreport') AND ok = 1")
	if recorded != 3 {
		t.Fatalf("%d recorded runs, want 3", recorded)
	}
}

// TestLongTaskIsNotOverlapped: a task that takes 2 s on a 1 s schedule (a
// real command action) never runs twice at the same time.
func TestLongTaskIsNotOverlapped(t *testing.T) {
	sets := map[string]string{"allowtrustedip": "0", "allowcmdaction": "1", "authlockoutfailures": "0"}
	s := startServer(t, "", sets)
	startServer(t, s.m.DB.DSN, sets) // a second node on the same database
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.exec(`INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body) VALUES ('slow', '@every 1s', 7, 'sleep 2')`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK: apireload:")
	time.Sleep(5500 * time.Millisecond)
	var runs []struct {
		Started  time.Time  `db:"started"`
		Finished *time.Time `db:"finished"`
	}
	if err := s.m.DB.Select(&runs, "SELECT started, finished FROM tb_jobruns WHERE job LIKE 'task:%:slow' ORDER BY started"); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d runs of a 2 s task in 5.5 s on a 1 s schedule with 2 nodes", len(runs))
	if len(runs) < 2 || len(runs) > 3 {
		t.Fatalf("%d runs, want 2 or 3", len(runs))
	}
	for i := 1; i < len(runs); i++ {
		prev := runs[i-1]
		if prev.Finished == nil || runs[i].Started.Before(*prev.Finished) {
			t.Fatalf("run %d started %v before run %d finished (%v)", i, runs[i].Started, i-1, prev.Finished)
		}
	}
}
