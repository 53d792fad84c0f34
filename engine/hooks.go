package engine

import (
	"context"
	"errors"
	"sync"
)

// ReloadHook is loaded and compiled together with tb_api by apireload and
// reload (the scheduler's tb_scheduledtasks). Prepare compiles under cfg,
// the config of the snapshot being built, without installing; a
// *CompileError fails the whole reload, like a bad tb_api row. install
// puts the result in force once every part compiled.
type ReloadHook interface {
	Prepare(ctx context.Context, cfg *Config) (install func(), err error)
}

// Maintainer runs maintenance jobs on request (hourlymaint, dailyreport...)
// and restarts the scheduler (maintreset). The jobs package provides it.
type Maintainer interface {
	RunJob(ctx context.Context, name string) (string, error)
	Restart(ctx context.Context) error
}

type hooks struct {
	mu         sync.RWMutex
	reload     []ReloadHook
	maintainer Maintainer
	restart    func(reason string)
}

// Restarter returns the graceful restart, or nil when the process has none.
func (e *Engine) Restarter() func(reason string) {
	e.hooks.mu.RLock()
	defer e.hooks.mu.RUnlock()
	return e.hooks.restart
}

// AddReloadHook makes apireload and reload compile h together with
// tb_api. The wiring (internal/server.Build) calls it once, before the
// engine serves.
func (e *Engine) AddReloadHook(h ReloadHook) {
	e.hooks.mu.Lock()
	defer e.hooks.mu.Unlock()
	e.hooks.reload = append(e.hooks.reload, h)
}

// SetMaintainer installs the scheduler behind the maintenance entries;
// the wiring (internal/server.Build) calls it once, before the engine
// serves.
func (e *Engine) SetMaintainer(m Maintainer) {
	e.hooks.mu.Lock()
	defer e.hooks.mu.Unlock()
	e.hooks.maintainer = m
}

// Maintainer returns the scheduler, or nil when none runs.
func (e *Engine) Maintainer() Maintainer {
	e.hooks.mu.RLock()
	defer e.hooks.mu.RUnlock()
	return e.hooks.maintainer
}

// prepareHooks compiles every reload hook; on failure it returns every
// bad row at once.
func (e *Engine) prepareHooks(ctx context.Context, cfg *Config) ([]func(), error) {
	e.hooks.mu.RLock()
	hs := append([]ReloadHook(nil), e.hooks.reload...)
	e.hooks.mu.RUnlock()
	var installs []func()
	var bad []*RowError
	for _, h := range hs {
		install, err := h.Prepare(ctx, cfg)
		var ce *CompileError
		switch {
		case errors.As(err, &ce):
			bad = append(bad, ce.Rows...)
		case err != nil:
			return nil, err
		default:
			installs = append(installs, install)
		}
	}
	if len(bad) > 0 {
		return nil, &CompileError{Rows: bad}
	}
	return installs, nil
}

// CompileAction compiles a custom_action code and body under cfg as tb_api
// rows are compiled (scheduled tasks use it), its SQL checked against the
// database.
func (e *Engine) CompileAction(ctx context.Context, cfg *Config, code int, body string) (Action, error) {
	c := &compiler{actions: e.actions, dialect: e.db.Dialect, cfg: cfg, check: e.checkSQL, ctx: ctx}
	act, err := c.compileAction(code, body)
	if err := c.fatalErr(); err != nil {
		return nil, err
	}
	return act, err
}
