package schema

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// NotifyChannel is the PostgreSQL channel mvapi nodes signal changes on.
const NotifyChannel = "mvapi_changes"

// Notify signals other nodes that name changed (PostgreSQL NOTIFY); on other
// dialects it does nothing (they poll the change stamp).
func (db *DB) Notify(ctx context.Context, name string) error {
	if !db.Dialect.SupportsNotify() {
		return nil
	}
	_, err := db.ExecContext(ctx, "SELECT pg_notify($1, $2)", NotifyChannel, name)
	return err
}

// Listen delivers PostgreSQL notifications of NotifyChannel until ctx ends,
// reconnecting with backoff when the connection drops. dsn is the full DSN
// (Open keeps only a redacted one); "" listens nowhere (polling only). On
// other dialects it returns nil: those nodes poll.
func Listen(ctx context.Context, d Dialect, dsn string, log *slog.Logger) <-chan string {
	if !d.SupportsNotify() || dsn == "" {
		return nil
	}
	out := make(chan string, 16)
	go func() {
		defer close(out)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			if err := listenOnce(ctx, dsn, out); err != nil && ctx.Err() == nil {
				log.Warn("listen for changes: retrying", "err", err, "in", backoff)
				select {
				case <-ctx.Done():
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 5*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
		}
	}()
	return out
}

func listenOnce(ctx context.Context, dsn string, out chan<- string) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, dsn)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return err
	}
	// A missed notification while reconnecting is covered by polling.
	out <- "*"
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		select {
		case out <- n.Payload:
		default: // the watcher is busy and will look at every stamp anyway
		}
	}
}
