// Package mvtest has helpers for tests: a migrated SQLite database in a
// temporary folder, users, and an engine wired like the real server.
package mvtest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/fixtures"
	"mvapi/internal/server"
	"mvapi/schema"
)

// MustDB opens a migrated SQLite database with first-start rows in a
// temporary folder; it is closed when the test ends.
func MustDB(tb testing.TB) *schema.DB {
	tb.Helper()
	return MustOpen(tb, FreshDSN(tb, "sqlite"))
}

// MustOpen opens and migrates dsn; it is closed when the test ends.
func MustOpen(tb testing.TB, dsn string) *schema.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := schema.Open(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := schema.Migrate(ctx, db); err != nil {
		tb.Fatal(err)
	}
	if _, err := fixtures.Defaults(ctx, db); err != nil {
		tb.Fatal(err)
	}
	return db
}

// MustEngine builds an engine wired like the real server (server.Build)
// and starts the outbox workers. sets are global config overrides (as
// --set).
func MustEngine(tb testing.TB, db *schema.DB, sets map[string]string) *engine.Engine {
	tb.Helper()
	e, _ := MustEngineActions(tb, db, sets, actions.Deps{})
	return e
}

// MustEngineActions is MustEngine with the actions' dependencies given (a
// restart hook, a TLS config for a test SMTP server, a logger) and the
// started *actions.Actions returned; both are closed when the test ends.
func MustEngineActions(tb testing.TB, db *schema.DB, sets map[string]string, deps actions.Deps) (*engine.Engine, *actions.Actions) {
	tb.Helper()
	st := MustStack(tb, db, sets, deps)
	st.StartActions()
	return st.Engine, st.Actions
}

// MustStack wires a server on db with server.Build, the one wiring the
// binary uses too, and closes it when the test ends. Nothing is started:
// call StartActions or Start. deps.Restart is the restart hook of both the
// actions and the engine.
func MustStack(tb testing.TB, db *schema.DB, sets map[string]string, deps actions.Deps) *server.Stack {
	tb.Helper()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st, err := server.Build(context.Background(), server.Deps{
		DB: db, Sets: noRateLimits(sets), Logger: deps.Logger, Version: "test", Restart: deps.Restart, Actions: deps,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// MustUser creates a user and returns its id.
func MustUser(tb testing.TB, db *schema.DB, n engine.NewUser) int64 {
	tb.Helper()
	if n.Password == "" {
		n.Password = "pw" + n.Username + "x"
	}
	id, err := engine.CreateUser(context.Background(), db, n)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// MustExec runs SQL written with ? placeholders.
func MustExec(tb testing.TB, db *schema.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(db.Dialect.Rebind(query), args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// APIKey returns the api key stored on first start.
func APIKey(tb testing.TB, db *schema.DB) string {
	tb.Helper()
	var key string
	if err := db.Get(&key, "SELECT value FROM tb_globalconfig WHERE name = 'apiv2key'"); err != nil {
		tb.Fatal(err)
	}
	return key
}
