package main

import (
	"strings"
	"testing"
	"time"

	"mvapi/engine"
)

// TestReadReplica: with readdsn on a streaming replica, cdr reads from the
// replica (a call recorded on the primary while the replica's replay is
// paused is not listed), falls back to the primary when the replica lags
// more than maxreplicalag, and when the replica stops; transfers stay on
// the primary throughout.
func TestReadReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a PostgreSQL cluster")
	}
	r := newPGRunner(t)
	primary := r.initPrimary("primary", "")
	replica := r.standby(primary, "replica1")
	primary.waitStreaming("replica1", false)

	sets := failoverSets()
	sets["readdsn"] = replica.dsn()
	sets["maxreplicalag"] = "3"
	s := startNode(t, primary.dsn(), sets)
	id := s.user("reader", "pw-reader", engine.TypeEndUser, 5)
	s.user("payee", "pw-payee", engine.TypeEndUser, 0)
	cdr := append([]string{"apientry", "cdr", "days", "2"}, authOf(s, "reader")...)
	lists := func(called string) bool {
		_, body := s.get(cdr...)
		if !strings.HasPrefix(body, "OK") {
			t.Fatalf("cdr answered %q", body)
		}
		return strings.Contains(body, called)
	}
	if configured, inUse, lag := s.m.Engine.ReplicaState(); !configured || !inUse {
		t.Fatalf("replica configured %v, in use %v (lag %v)", configured, inUse, lag)
	}

	pdb, rdb := primary.open(), replica.open()
	// The node migrated the primary just now; the replica replays that a
	// moment later (on a loaded machine, after the node is up). Its lag
	// reads 0 until the WAL arrives, so wait for the schema itself.
	waitFor(t, 30*time.Second, func() bool {
		var ok bool
		return rdb.QueryRow("SELECT to_regclass('tb_cdrs') IS NOT NULL").Scan(&ok) == nil && ok
	})
	s.exec("INSERT INTO tb_cdrs (callerid, caller, called, duration, cost) VALUES (?, 'reader', 'callone', 10, 0.1)", id)
	waitFor(t, 5*time.Second, func() bool { return lists("callone") })

	// Replay paused: the replica misses the next call; cdr does not list
	// it, so the replica served the read.
	if _, err := rdb.Exec("SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	if _, err := pdb.Exec("INSERT INTO tb_cdrs (callerid, caller, called, duration, cost) VALUES ($1, 'reader', 'calltwo', 10, 0.1)", id); err != nil {
		t.Fatal(err)
	}
	if lists("calltwo") {
		t.Fatal("cdr listed a call the replica has not replayed: not read from the replica")
	}
	_, body := s.get(append([]string{"apientry", "transfercredit", "username", "payee", "credit", "1"}, authOf(s, "reader")...)...)
	wantPrefix(t, body, "OK: transferred 1 USD to payee")

	// Past maxreplicalag (3 s) the primary serves the read.
	paused := time.Now()
	waitFor(t, 10*time.Second, func() bool { return lists("calltwo") })
	t.Logf("a replica paused for %v (maxreplicalag 3 s) is no longer used", time.Since(paused).Round(time.Millisecond))
	if _, err := rdb.Exec("SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { _, inUse, _ := s.m.Engine.ReplicaState(); return inUse })

	// The replica stops: reads go to the primary within about a second.
	replica.crash()
	stopped := time.Now()
	failed := 0
	waitFor(t, 10*time.Second, func() bool {
		_, body := s.get(cdr...)
		if !strings.HasPrefix(body, "OK") {
			failed++
			return false
		}
		return true
	})
	t.Logf("replica stopped: cdr answered from the primary after %v (%d failed reads meanwhile)", time.Since(stopped).Round(time.Millisecond), failed)
	for range 20 {
		if !lists("calltwo") {
			t.Fatal("cdr after the fallback lacks a call of the primary")
		}
	}
	if _, inUse, _ := s.m.Engine.ReplicaState(); inUse {
		t.Fatal("a stopped replica is still in use")
	}
}
