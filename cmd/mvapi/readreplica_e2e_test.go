package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/engine"
)

// TestReadReplica: with readdsn on a streaming replica, cdr and a
// customsql row marked readonly read from the replica (a call recorded on
// the primary while the replica's replay is paused is not seen), fall back
// to the primary when the replica lags more than maxreplicalag (replay
// paused, or WAL no longer arriving at all: its walreceiver disconnected,
// where the replica alone would look in sync), and when the replica stops,
// without one failed read; transfers stay on the primary throughout.
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
	// A customsql row marked readonly: its SELECT runs on the replica.
	s.user("rroot", "rrootpw1", engine.TypeAdmin, 0)
	s.exec("INSERT INTO tb_api (fname, customsql, readonly) VALUES ('mycalls', 'SELECT COUNT(*) FROM tb_cdrs WHERE callerid = [USERID]', 1)")
	wantPrefix(t, s.apireload("rroot", "rrootpw1"), "OK: apireload:")
	mycalls := append([]string{"apientry", "mycalls"}, authOf(s, "reader")...)
	calls := func() string { _, body := s.get(mycalls...); return body }
	waitFor(t, 5*time.Second, func() bool { return calls() == "OK: 1" })

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
	if got := calls(); got != "OK: 1" {
		t.Fatalf("readonly customsql answered %q with the replica's replay paused, want OK: 1 (its view)", got)
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

	waitFor(t, 10*time.Second, func() bool { return calls() == "OK: 2" })

	// The walreceiver disconnects: no WAL arrives, so the replica has
	// replayed all it received and, on its own, would look in sync. Its
	// lag is measured against the primary's WAL position: it grows while
	// the primary writes and passes maxreplicalag.
	replica.setConninfo(t, rdb, "")
	cut := time.Now()
	for i := 0; ; i++ {
		_, inUse, _ := s.m.Engine.ReplicaState()
		if !inUse {
			break
		}
		if time.Since(cut) > 20*time.Second {
			t.Fatal("a replica that receives no WAL is still in use 20 s later (maxreplicalag 3 s)")
		}
		s.exec("INSERT INTO tb_cdrs (callerid, caller, called, duration, cost) VALUES (?, 'reader', ?, 1, 0)", id, fmt.Sprintf("cut%d", i))
		time.Sleep(200 * time.Millisecond)
	}
	var received, replayed string
	var idle bool
	if err := rdb.QueryRow("SELECT COALESCE(pg_last_wal_receive_lsn()::text, ''), COALESCE(pg_last_wal_replay_lsn()::text, ''), pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()").Scan(&received, &replayed, &idle); err != nil {
		t.Fatal(err)
	}
	_, _, lag := s.m.Engine.ReplicaState()
	t.Logf("walreceiver disconnected: replica set aside %v later at lag %v (maxreplicalag 3 s); the replica itself has replayed all it received (%s = %s: %v)",
		time.Since(cut).Round(time.Millisecond), lag, received, replayed, idle)
	replica.setConninfo(t, rdb, replica.conninfo)
	waitFor(t, 20*time.Second, func() bool { _, inUse, _ := s.m.Engine.ReplicaState(); return inUse })

	// The replica stops under a read loop of cdr and the readonly
	// customsql: each read that fails on the replica runs again on the
	// primary, and the replica is set aside at once: no read fails.
	ld := newLoad(t, []*testServer{s}, nil)
	var reads, failed int
	var mu sync.Mutex
	var samples []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kv := cdr
			if w%2 == 1 {
				kv = mycalls
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				res := ld.do(s, kv)
				mu.Lock()
				reads++
				if !res.ok {
					failed++
					if len(samples) < 5 {
						samples = append(samples, res.answer)
					}
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second)
	replica.crash()
	stopped := time.Now()
	waitFor(t, 10*time.Second, func() bool { _, inUse, _ := s.m.Engine.ReplicaState(); return !inUse })
	aside := time.Since(stopped)
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("replica stopped under a read loop (4 workers, cdr and readonly customsql): set aside %v after the stop, %d reads, %d failed", aside.Round(time.Millisecond), reads, failed)
	for _, a := range samples {
		t.Logf("  failed read: %s", a)
	}
	if failed > 0 {
		t.Errorf("%d reads failed when the replica stopped, want 0", failed)
	}
	for range 20 {
		if !lists("calltwo") {
			t.Fatal("cdr after the fallback lacks a call of the primary")
		}
	}
	if got := calls(); !strings.HasPrefix(got, "OK: ") || got == "OK: 1" {
		t.Fatalf("readonly customsql after the fallback answered %q, want the primary's count", got)
	}
	if _, inUse, _ := s.m.Engine.ReplicaState(); inUse {
		t.Fatal("a stopped replica is still in use")
	}
}
