package jobs

import (
	"context"
	"fmt"
	"time"

	"mvapi/schema"
)

// A serving node writes a heartbeat into tb_nodes every nodeheartbeat
// seconds while its scheduler runs. A run in tb_jobruns that is older than
// nodelease and whose node has not beaten within nodelease belongs to a
// node that is gone (kill -9, power loss, partition): record closes it as
// failed so that the next tick runs, instead of waiting for jobtimeout.

// nodesPurgeAfter is how long the row of a silent node stays in tb_nodes
// (for the operator to see which nodes ran recently).
const nodesPurgeAfter = 24 * time.Hour

// beatInterval and lease read the options at each use (reload changes them).
func (s *Scheduler) beatInterval() time.Duration {
	return time.Duration(max(s.eng.Config().Int("nodeheartbeat"), 1)) * time.Second
}

// lease is nodelease, at least twice the heartbeat interval: a node that
// beats on time is never taken for gone.
func (s *Scheduler) lease() time.Duration {
	l := time.Duration(s.eng.Config().Int("nodelease")) * time.Second
	return max(l, 2*s.beatInterval())
}

// startBeat starts the heartbeat loop (the first beat at once); s.mu held.
func (s *Scheduler) startBeat() {
	if s.beatStop != nil {
		return
	}
	if s.started.IsZero() {
		s.started = time.Now().UTC()
	}
	stop, done := make(chan struct{}), make(chan struct{})
	s.beatStop, s.beatDone = stop, done
	go func() {
		defer close(done)
		var lastPurge time.Time
		for {
			if err := s.beat(); err != nil {
				s.log.Warn("node heartbeat", "err", err)
			}
			if time.Since(lastPurge) > time.Hour {
				lastPurge = time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), s.beatInterval())
				s.db.ExecContext(ctx, nodesPurgeSQL(s.db.Dialect), time.Now().UTC().Add(-nodesPurgeAfter))
				cancel()
			}
			t := time.NewTimer(s.beatInterval())
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
}

// stopBeat ends the heartbeat loop; with forget (every job has finished)
// it also removes the node's row, so nothing of this node looks alive.
func (s *Scheduler) stopBeat(forget bool) {
	s.mu.Lock()
	stop, done := s.beatStop, s.beatDone
	s.beatStop, s.beatDone = nil, nil
	s.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
	if forget {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.db.ExecContext(ctx, nodeForgetSQL(s.db.Dialect), s.node)
	}
}

// beat upserts this node's row of tb_nodes.
func (s *Scheduler) beat() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.beatInterval())
	defer cancel()
	d := s.db.Dialect
	now := time.Now().UTC()
	res, err := s.db.ExecContext(ctx, nodeBeatSQL(d), now, s.node)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = s.db.ExecContext(ctx, nodeInsertSQL(d), s.node, now, s.started, s.eng.Version())
	if schema.IsUniqueViolation(err) { // a second beat of ours got there first
		return nil
	}
	return err
}

// reclaim closes the unfinished runs of job whose node is gone, as failed
// with a note, and reports how many it closed.
func (s *Scheduler) reclaim(ctx context.Context, job string, now time.Time) (int64, error) {
	lease := s.lease()
	cutoff := now.Add(-lease)
	note := fmt.Sprintf("ERROR: reclaimed at %s: the node stopped its heartbeat (nodelease %v) before the run finished", now.Format(time.DateTime), lease)
	// finished = cutoff: the node was alive at no time after it, and every
	// later run starts after it.
	res, err := s.db.ExecContext(ctx, jobReclaimSQL(s.db.Dialect), cutoff, note, job, cutoff, cutoff)
	if err != nil {
		return 0, fmt.Errorf("job %s: reclaim runs of gone nodes: %w", job, err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		s.log.Warn("job run of a gone node reclaimed", "job", job, "runs", n, "lease", lease)
	}
	return n, nil
}

var nodeBeatSQL = schema.Statement("UPDATE tb_nodes SET heartbeat = ? WHERE node = ?")

var nodeInsertSQL = schema.Statement("INSERT INTO tb_nodes (node, heartbeat, started, version) VALUES (?, ?, ?, ?)")

var nodeForgetSQL = schema.Statement("DELETE FROM tb_nodes WHERE node = ?")

var nodesPurgeSQL = schema.Statement("DELETE FROM tb_nodes WHERE heartbeat < ?")

var jobReclaimSQL = schema.Statement(`UPDATE tb_jobruns SET finished = ?, ok = 0, result = ?
 WHERE job = ? AND finished IS NULL AND started < ?
 AND NOT EXISTS (SELECT 1 FROM tb_nodes WHERE tb_nodes.node = tb_jobruns.node AND tb_nodes.heartbeat >= ?)`)
