package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"mvapi/schema"
)

// Change names in tb_changes.
const (
	ChangeAPI    = "api"    // tb_api (apireload, rulesreload)
	ChangeConfig = "config" // tb_globalconfig (reload)
)

// stampState is the change stamps this node has acted on. Announce and the
// watcher hold mu while they read and write stamps, so a node does not
// reload again for its own announcement.
type stampState struct {
	mu   sync.Mutex
	seen map[string]int64
}

// Announce tells every node that name changed: it bumps the stamp in
// tb_changes (polled by all nodes) and, on PostgreSQL, sends a NOTIFY.
func (e *Engine) Announce(ctx context.Context, name string) error {
	e.changes.mu.Lock()
	defer e.changes.mu.Unlock()
	if _, err := e.db.ExecContext(ctx, stampBumpSQL(e.db.Dialect), name); err != nil {
		return fmt.Errorf("announce %s change: %w", name, err)
	}
	var stamp int64
	if err := e.db.GetContext(ctx, &stamp, stampSQL(e.db.Dialect), name); err != nil {
		return fmt.Errorf("announce %s change: %w", name, err)
	}
	if e.changes.seen != nil && e.changes.seen[name] == stamp-1 {
		e.changes.seen[name] = stamp // nobody else changed it meanwhile
	}
	if err := e.db.Notify(ctx, name); err != nil {
		return fmt.Errorf("announce %s change: %w", name, err)
	}
	return nil
}

func (e *Engine) stamps(ctx context.Context) (map[string]int64, error) {
	rows, err := e.db.QueryContext(ctx, stampsSQL(e.db.Dialect))
	if err != nil {
		return nil, fmt.Errorf("read tb_changes: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var stamp int64
		if err := rows.Scan(&name, &stamp); err != nil {
			return nil, fmt.Errorf("read tb_changes: %w", err)
		}
		out[name] = stamp
	}
	return out, rows.Err()
}

// Watch keeps this node in step with reloads sent to any node: it polls
// tb_changes every interval (and wakes at once on a PostgreSQL
// notification) and reloads the rule table or the config when its stamp
// moved. dsn is the full DSN (for LISTEN). It returns when ctx ends.
func (e *Engine) Watch(ctx context.Context, dsn string, interval time.Duration) {
	notes := schema.Listen(ctx, e.db.Dialect, dsn, e.log)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-notes:
			if !ok {
				notes = nil
			}
		}
		e.changes.mu.Lock()
		cur, err := e.stamps(ctx)
		if err != nil {
			e.changes.mu.Unlock()
			if ctx.Err() == nil {
				e.log.Warn("watch changes", "err", err)
			}
			continue
		}
		config := cur[ChangeConfig] != e.changes.seen[ChangeConfig]
		api := cur[ChangeAPI] != e.changes.seen[ChangeAPI]
		e.changes.seen = cur
		e.changes.mu.Unlock()
		if config {
			if err := e.ReloadConfig(ctx); err != nil {
				e.log.Error("reload announced by another node failed; old config kept", "err", err)
			}
		}
		if api {
			if _, err := e.ReloadTable(ctx); err != nil {
				e.log.Error("apireload announced by another node failed; old table kept", "err", err)
			}
		}
	}
}

var stampBumpSQL = schema.Statement("UPDATE tb_changes SET stamp = stamp + 1 WHERE name = ?")

var stampSQL = schema.Statement("SELECT stamp FROM tb_changes WHERE name = ?")

var stampsSQL = schema.Statement("SELECT name, stamp FROM tb_changes")
