package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mvapi/engine/format"
	"mvapi/schema"
)

// A read replica (option readdsn): entries that only read (cdr, cdr
// summaries, search, reports, listusers, customsql rows marked readonly)
// run on its own pool while it answers and lags at most maxreplicalag;
// otherwise, and for everything else (authentication, credit checks,
// writes, LISTEN), the primary serves. A read that fails on the replica
// because the replica or the connection to it failed runs again on the
// primary and sets the replica aside until its next check finds it well.

// replicaCheckEvery is how often the replica's lag is measured.
const replicaCheckEvery = time.Second

// replicaPool is the read replica's pool and what its last check found.
type replicaPool struct {
	db      *schema.DB
	primary *schema.DB
	maxLag  time.Duration
	healthy atomic.Bool
	lagMS   atomic.Int64

	mu  sync.Mutex // one check at a time (lag is not safe for concurrent use)
	lag lagClock
}

// UseReplica makes the read-only entries read from db while it answers
// and its lag is at most maxLag. It measures the lag every second until
// ctx ends, then closes db. The first check runs before it returns.
func (e *Engine) UseReplica(ctx context.Context, db *schema.DB, maxLag time.Duration) {
	p := &replicaPool{db: db, primary: e.db, maxLag: maxLag}
	p.check(ctx, e)
	e.replica.Store(p)
	go func() {
		defer db.Close()
		defer e.replica.CompareAndSwap(p, nil)
		tick := time.NewTicker(replicaCheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				p.check(ctx, e)
			}
		}
	}()
}

// check measures the replica's lag against the primary (see lagClock)
// and marks it usable or not, logging each change.
func (p *replicaPool) check(ctx context.Context, e *Engine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	primarySQL, replicaSQL := p.db.Dialect.ReplicaPositionSQL()
	var written, replayed int64
	// The primary first: the replica is then compared with a position
	// the primary had reached before it was asked. A primary that does not
	// answer (a failover) adds no position; the lag of those known grows.
	if err := p.primary.QueryRowContext(cctx, primarySQL).Scan(&written); err == nil {
		p.lag.primaryAt(written, time.Now())
	}
	err := p.db.QueryRowContext(cctx, replicaSQL).Scan(&replayed)
	if ctx.Err() != nil {
		return
	}
	var lag time.Duration
	if err == nil {
		lag = p.lag.replayed(replayed, time.Now())
		p.lagMS.Store(lag.Milliseconds())
	}
	ok := err == nil && lag <= p.maxLag
	if was := p.healthy.Swap(ok); was != ok {
		if ok {
			e.log.Info("read replica in use", "lag", lag.Round(time.Millisecond), "db", p.db.DSN)
		} else {
			e.log.Warn("read replica not used: reading from the primary", "err", err, "lag", lag.Round(time.Millisecond), "maxreplicalag", p.maxLag, "db", p.db.DSN)
		}
	}
}

// setAside stops using the replica at once after a read on it failed for
// want of a working server or connection (err); the next check brings it
// back when it answers again.
func (p *replicaPool) setAside(e *Engine, err error) {
	if p.healthy.Swap(false) {
		e.log.Warn("read replica not used: a read on it failed, reading from the primary until it answers again", "err", err, "db", p.db.DSN)
	}
}

// lagClock measures how far a replica is behind in time from positions
// in the primary's write-ahead log, which only grow. Each check records
// the position the primary had reached and when it was seen there, then
// reads how far the replica has replayed: the replica lags since the
// first moment the primary was seen at a position the replica has not
// replayed yet, so its lag is now minus the time of the oldest recorded
// position beyond its replay; it is 0 when it has replayed every position
// seen. Unlike the replica's own view (replay timestamps, or received
// versus replayed WAL), this grows while WAL stops arriving at all (a
// paused or disconnected walreceiver), and an idle primary, whose
// position does not move, never makes a replica look behind. The lag is
// known to within one check interval (the primary may have passed the
// replica's position at any time since the previous check) and is the
// lower bound of that interval.
type lagClock struct {
	seen []walSeen // positions beyond the replica's last replay, oldest first
}

type walSeen struct {
	pos int64
	at  time.Time
}

// maxWALSeen bounds lagClock.seen while a replica stays behind (an hour
// of checks): the oldest position, which sets the lag, is always kept.
const maxWALSeen = 3600

// primaryAt records that the primary had written up to pos at at.
func (l *lagClock) primaryAt(pos int64, at time.Time) {
	n := len(l.seen)
	if n > 0 && pos <= l.seen[n-1].pos {
		return // no new WAL: the oldest unreplayed position says it all
	}
	if n >= maxWALSeen {
		l.seen = append(l.seen[:1], l.seen[2:]...)
	}
	l.seen = append(l.seen, walSeen{pos, at})
}

// replayed forgets the positions the replica has replayed (up to pos) and
// returns its lag at now.
func (l *lagClock) replayed(pos int64, now time.Time) time.Duration {
	i := 0
	for i < len(l.seen) && l.seen[i].pos <= pos {
		i++
	}
	l.seen = append(l.seen[:0], l.seen[i:]...)
	if len(l.seen) == 0 {
		return 0
	}
	return max(now.Sub(l.seen[0].at), 0)
}

// ReplicaState reports whether a read replica is configured, whether it
// is in use now and its lag at the last check.
func (e *Engine) ReplicaState() (configured, inUse bool, lag time.Duration) {
	p := e.replica.Load()
	if p == nil {
		return false, false, 0
	}
	return true, p.healthy.Load(), time.Duration(p.lagMS.Load()) * time.Millisecond
}

// ReplicaDB is the read replica's pool (for its connection statistics),
// in use or not; nil when no replica is configured.
func (e *Engine) ReplicaDB() *schema.DB {
	if p := e.replica.Load(); p != nil {
		return p.db
	}
	return nil
}

// readReplica is the replica when the call may read from it now.
func (c *Call) readReplica() *replicaPool {
	if c.primaryOnly {
		return nil
	}
	if p := c.Engine.replica.Load(); p != nil && p.healthy.Load() {
		return p
	}
	return nil
}

// ReadDB is the database of an entry that only reads: the read replica
// while it is in use (see UseReplica), else the primary (DB). A handler
// that reads from it and fails because the replica failed runs once more,
// on the primary (runHandler).
func (c *Call) ReadDB() *schema.DB {
	if p := c.readReplica(); p != nil {
		c.usedReplica = p
		return p.db
	}
	return c.Engine.db
}

// runHandler runs the entry's handler. When it failed after reading from
// the replica because the replica or the connection to it failed
// (schema.IsConnectionFailure, not an error of the statement), the
// replica is set aside and the handler, which only reads, runs once more
// on the primary: a replica that stops costs no failed reads.
func (e *Engine) runHandler(ctx context.Context, c *Call, h Handler) (format.Result, error) {
	res, err := h(ctx, c)
	p := c.usedReplica
	if err == nil || p == nil || ctx.Err() != nil || !schema.IsConnectionFailure(err) {
		return res, err
	}
	p.setAside(e, err)
	c.usedReplica, c.primaryOnly = nil, true
	return h(ctx, c)
}

// queryEntry runs the row-returning customsql statement of the call's
// entry: on the read replica when the row is marked readonly and the
// replica is in use (falling back to the primary at once when the replica
// failed), else on customsql's pool (CustomDB), prepared where the
// dialect prepares (entryStmt).
func (c *Call) queryEntry(ctx context.Context, query string, args []any) (*sql.Rows, error) {
	if c.Entry.ReadOnly {
		if p := c.readReplica(); p != nil {
			rows, err := p.db.QueryContext(ctx, query, args...)
			if err == nil || ctx.Err() != nil || !schema.IsConnectionFailure(err) {
				return rows, err
			}
			p.setAside(c.Engine, err)
			c.primaryOnly = true
		}
	}
	return c.Entry.sqlStmt.query(ctx, c.CustomDB().DB.DB, query, args)
}

// readOnlyRow applies tb_api.readonly to the entry compiled from r: 1
// sends its customsql to the read replica, which needs customsql of one
// statement that only reads (sqltemplate.Template.ReadOnly); 0 is the
// default. A row whose customsql did not compile reports that error only.
func readOnlyRow(r *apiRow, e *Entry) error {
	switch r.ReadOnly {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("%d: use 0, or 1 for customsql that only reads (run on the read replica)", r.ReadOnly)
	}
	switch {
	case strings.TrimSpace(r.CustomSQL.String) == "":
		return errors.New("1 needs customsql (a SELECT run on the read replica); built-ins choose their database themselves")
	case e.SQL == nil:
		return nil
	case !e.SQL.ReadOnly():
		return errors.New("1 but the customsql writes or is not one SELECT (WITH, VALUES): a read replica takes reads only; set readonly to 0")
	}
	e.ReadOnly = true
	return nil
}
