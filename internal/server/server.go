// Package server wires one mvapi server process: the built-in registry,
// the custom_action kinds and their outbox, the engine, and the scheduler
// made the engine's reload hook and maintainer. Build is the one place this
// happens; the binary (serve, check) and the tests (internal/mvtest) share
// it, so what a test runs is wired like what a server runs.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"mvapi/actions"
	"mvapi/builtin"
	"mvapi/engine"
	"mvapi/jobs"
	"mvapi/schema"
	"mvapi/switchboard"
)

// Deps is what Build needs from outside: an opened, migrated database and
// the process's own hooks.
type Deps struct {
	DB *schema.DB
	// Sets are the --set name=value overrides of global config.
	Sets    map[string]string
	Logger  *slog.Logger // nil: slog.Default()
	Version string
	// Restart asks the process for a graceful restart (the restart entry
	// and custom_action 4/54); nil: the process has none, restart rows
	// fail to compile and the restart entry says so.
	Restart func(reason string)
	// Actions are the actions' own dependencies (an HTTP client, SMTP
	// TLS, a node name). Its Logger and Restart, when nil, are the ones
	// above.
	Actions actions.Deps
}

// Stack is one wired server: the engine, the actions and the scheduler.
// Build returns it not yet started: nothing runs in the background but the
// engine's own lockout refresh.
type Stack struct {
	Engine  *engine.Engine
	Actions *actions.Actions
	Jobs    *jobs.Scheduler
	// Switch is Kamailio's adapter; its call worker idles unless
	// switch=kamailio.
	Switch *switchboard.Kamailio
}

// Build wires a server on d.DB: the registry with every built-in, the
// action kinds, the engine (global config loaded and tb_api compiled) and
// the scheduler (tb_scheduledtasks compiled), registered with the engine
// as its reload hook and maintainer. A bad tb_api or tb_scheduledtasks row
// does not fail Build: the engine lists it (BadRows) and its entry answers
// that it is not available; with strictstart=1 it is an error naming the
// row, and nothing is left running then.
func Build(ctx context.Context, d Deps) (*Stack, error) {
	if d.DB == nil {
		return nil, errors.New("server: DB is required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	ad := d.Actions
	if ad.Logger == nil {
		ad.Logger = d.Logger
	}
	if ad.Restart == nil {
		ad.Restart = d.Restart
	}
	reg := engine.NewRegistry()
	builtin.Register(reg)
	sw := switchboard.New(d.DB, d.Logger)
	acts := actions.New(ad)
	e, err := engine.New(ctx, engine.Options{
		DB: d.DB, Registry: reg, Actions: acts.Kinds(), Messenger: acts,
		Switches:  map[string]engine.Switch{"kamailio": sw},
		Overrides: d.Sets, Logger: d.Logger, Version: d.Version, Restart: d.Restart,
	})
	if err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	s, err := jobs.New(ctx, e)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("start scheduler: %w", err)
	}
	e.AddReloadHook(s)
	e.SetMaintainer(s)
	return &Stack{Engine: e, Actions: acts, Jobs: s, Switch: sw}, nil
}

// Start starts the outbox workers, the scheduler and the switch worker.
func (s *Stack) Start() {
	s.StartActions()
	s.Jobs.Start()
	s.Switch.Start(s.Engine)
}

// StartActions starts the outbox workers only (tests that drive the
// scheduler by hand).
func (s *Stack) StartActions() { s.Actions.Start(s.Engine) }

// Close stops the scheduler (running jobs finish unless ctx ends first),
// then the outbox workers (deliveries in flight finish, the rest waits in
// tb_outbox), then the engine (queued asynchronous work finishes). The
// database stays open: it belongs to the caller.
func (s *Stack) Close(ctx context.Context) {
	s.Jobs.Stop(ctx)
	s.Switch.Close()
	s.Actions.Close()
	s.Engine.Close()
}
