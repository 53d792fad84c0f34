package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"mvapi/schema"
)

// customPool is customsql's own connection pool (customsqlconns): a
// second *sql.DB on the same database, used only by customsql statements
// (rows, writes, several statements), SQL actions joined to them and the
// {select ...} sub-queries of action bodies. Authentication, the user
// cache and built-ins use the main pool, so a DBA's slow query waits for
// one of customsql's connections and never takes theirs.
//
// A semaphore in front of customsql on the shared pool would isolate only
// while the pool has more connections than the semaphore lets through,
// and database/sql hands a freed connection to whichever waiter comes
// first; a pool of its own is a hard budget whatever dbmaxconns is.
//
// On SQLite (WAL) readers never block readers, so slow customsql reads on
// their own connections leave the main pool's readers alone; writes still
// serialize on the database's one write lock (busy_timeout), whichever
// pool they come from.
type customPool struct {
	mu sync.Mutex // opening and closing
	db atomic.Pointer[schema.DB]
}

// defaultCustomConns is customsqlconns when it is -1: 2 on SQLite, whose
// connections all share one file and one CPU budget, 4 on a server.
func defaultCustomConns(d schema.Dialect) int {
	if d == schema.SQLite {
		return 2
	}
	return 4
}

// applyCustomPool opens, resizes or drops customsql's pool after the
// config was (re)loaded.
func (e *Engine) applyCustomPool(ctx context.Context, cfg *Config) error {
	n := cfg.Int("customsqlconns")
	if n < 0 {
		n = defaultCustomConns(e.db.Dialect)
	}
	e.custom.mu.Lock()
	defer e.custom.mu.Unlock()
	if n == 0 {
		// Statements prepared on the old pool keep it open until the
		// table that owns them is replaced; it is closed with the engine.
		return nil
	}
	db := e.custom.db.Load()
	if db == nil {
		var err error
		if db, err = e.db.OpenAnother(ctx); err != nil {
			return fmt.Errorf("customsql pool (customsqlconns): %w", err)
		}
		e.custom.db.Store(db)
	}
	db.SetPool(n, n)
	return nil
}

// customDB is the database customsql runs on: its own pool, or the main
// one when customsqlconns=0.
func (e *Engine) customDB(cfg *Config) *schema.DB {
	if cfg != nil && cfg.Int("customsqlconns") == 0 {
		return e.db
	}
	db := e.custom.db.Load()
	if db == nil {
		return e.db
	}
	return db
}

// CustomDB is the database of the call's customsql, SQL actions and
// {select ...} sub-queries (customsqlconns).
func (c *Call) CustomDB() *schema.DB { return c.Engine.customDB(c.Config) }

func (e *Engine) closeCustomPool() {
	e.custom.mu.Lock()
	defer e.custom.mu.Unlock()
	if db := e.custom.db.Swap(nil); db != nil {
		db.Close()
	}
}
