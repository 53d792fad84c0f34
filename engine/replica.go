package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"mvapi/schema"
)

// A read replica (option readdsn): entries that only read (cdr, cdr
// summaries, search, reports, listusers) run on its own pool while it
// answers and lags at most maxreplicalag seconds; otherwise, and for
// everything else (authentication, credit checks, writes, LISTEN), the
// primary serves.

// replicaPool is the read replica's pool and what its last check found.
type replicaPool struct {
	db      *schema.DB
	maxLag  time.Duration
	healthy atomic.Bool
	lagMS   atomic.Int64
}

// replicas holds each engine's replica while one is configured (kept
// beside Engine so that the struct stays as it is); n counts them, so that
// a node without a replica reads no map per request.
var replicas struct {
	m replicaMap
}

type replicaMap struct {
	n  atomic.Int32
	by sync.Map // *Engine -> *replicaPool
}

func (m *replicaMap) store(e *Engine, p *replicaPool) {
	if _, loaded := m.by.Swap(e, p); !loaded {
		m.n.Add(1)
	}
}

func (m *replicaMap) delete(e *Engine) {
	if _, loaded := m.by.LoadAndDelete(e); loaded {
		m.n.Add(-1)
	}
}

func (m *replicaMap) load(e *Engine) *replicaPool {
	if m.n.Load() == 0 {
		return nil
	}
	if p, ok := m.by.Load(e); ok {
		return p.(*replicaPool)
	}
	return nil
}

// UseReplica makes the read-only built-ins read from db while it answers
// and its lag (schema.Dialect.ReplicaLagSQL) is at most maxLag. It checks
// every second until ctx ends, then closes db. The first check runs
// before it returns.
func (e *Engine) UseReplica(ctx context.Context, db *schema.DB, maxLag time.Duration) {
	p := &replicaPool{db: db, maxLag: maxLag}
	p.check(ctx, e)
	replicas.m.store(e, p)
	go func() {
		defer db.Close()
		defer replicas.m.delete(e)
		tick := time.NewTicker(time.Second)
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

// check reads the replica's lag and marks it usable or not, logging each
// change.
func (p *replicaPool) check(ctx context.Context, e *Engine) {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var lag float64
	q := p.db.Dialect.ReplicaLagSQL()
	var err error
	if q == "" {
		err = p.db.PingContext(cctx)
	} else {
		err = p.db.QueryRowContext(cctx, q).Scan(&lag)
	}
	if ctx.Err() != nil {
		return
	}
	lagD := time.Duration(lag * float64(time.Second))
	p.lagMS.Store(lagD.Milliseconds())
	ok := err == nil && lagD <= p.maxLag
	if was := p.healthy.Swap(ok); was != ok {
		if ok {
			e.log.Info("read replica in use", "lag", lagD.Round(time.Millisecond), "db", p.db.DSN)
		} else {
			e.log.Warn("read replica not used: reading from the primary", "err", err, "lag", lagD.Round(time.Millisecond), "maxreplicalag", p.maxLag, "db", p.db.DSN)
		}
	}
}

// ReplicaState reports whether a read replica is configured, whether it
// is in use now and its lag at the last check.
func (e *Engine) ReplicaState() (configured, inUse bool, lag time.Duration) {
	p := replicas.m.load(e)
	if p == nil {
		return false, false, 0
	}
	return true, p.healthy.Load(), time.Duration(p.lagMS.Load()) * time.Millisecond
}

// ReadDB is the database of an entry that only reads: the read replica
// while it is in use (see UseReplica), else the primary (DB).
func (c *Call) ReadDB() *schema.DB {
	if p := replicas.m.load(c.Engine); p != nil && p.healthy.Load() {
		return p.db
	}
	return c.Engine.db
}
