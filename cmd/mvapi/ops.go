package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"mvapi/engine"
	"mvapi/internal/logging"
	"mvapi/internal/ops"
	"mvapi/schema"
	"mvapi/transport"
)

// Operations wiring of serve (issue #14): the admin HTTP listener
// (adminhttpaddr: /live, /ready, /metrics), the standard library's log
// lines through slog, logformat/loglevel, the OpenAPI document and SIGHUP.

// opsState is what Main keeps of the operations wiring.
type opsState struct {
	admin       *ops.Admin
	adminServer *http.Server
	adminAddr   string
	// LogSwitch, when set (serve sets it), gets logformat and loglevel at
	// start and on every reload.
	LogSwitch *logging.Switch
}

// errorLog is the http.Server.ErrorLog of every server: slog at warn level.
func (m *Main) errorLog() *log.Logger { return logging.ErrorLog(m.Log.Handler()) }

// startAdminHTTP opens the admin listener when adminhttpaddr is set.
func (m *Main) startAdminHTTP() error {
	addr := m.Engine.Config().Get("adminhttpaddr")
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("admin HTTP (adminhttpaddr): listen %s: %w", addr, err)
	}
	m.ops.admin = ops.New(m.Engine, Version, m.Log)
	m.ops.adminServer = m.ops.admin.NewServer()
	m.ops.adminAddr = ln.Addr().String()
	go m.ops.adminServer.Serve(ln)
	m.Log.Info("admin HTTP listening (/live, /ready, /metrics)", "addr", m.ops.adminAddr)
	return nil
}

// AdminAddr is the admin HTTP listener's address ("" when off).
func (m *Main) AdminAddr() string { return m.ops.adminAddr }

func (m *Main) closeAdminHTTP() error {
	if m.ops.adminServer == nil {
		return nil
	}
	return transport.Shutdown(m.ops.adminServer, 5*time.Second)
}

// logSettings is the reload hook that applies logformat and loglevel.
type logSettings struct{ sw *logging.Switch }

func (l logSettings) Prepare(_ context.Context, cfg *engine.Config) (func(), error) {
	return func() { l.sw.Set(cfg.Get("logformat"), cfg.Get("loglevel")) }, nil
}

// applyLogSettings puts the config's log settings in force now and on
// every reload.
func (m *Main) applyLogSettings() {
	if m.ops.LogSwitch == nil {
		return
	}
	cfg := m.Engine.Config()
	m.ops.LogSwitch.Set(cfg.Get("logformat"), cfg.Get("loglevel"))
	m.Engine.AddReloadHook(logSettings{m.ops.LogSwitch})
}

// notifyHUP starts catching SIGHUP (serve calls it first thing, with the
// SIGINT/SIGTERM handler, so a SIGHUP while the database opens does not
// kill the process).
func notifyHUP() (chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}

// serveHUP runs reload (tb_globalconfig and tb_api together, what the
// reload and apireload entries do) on every SIGHUP until ctx ends. This
// node only: other nodes are not told (send the reload entry for that).
func (m *Main) serveHUP(ctx context.Context, ch <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			m.ReloadOnSignal(ctx)
		}
	}
}

// ReloadOnSignal is what SIGHUP does: reload the config and the rule
// table (all or nothing: a bad value or row keeps the old snapshot) and
// write it to the audit trail.
func (m *Main) ReloadOnSignal(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := m.Engine.ReloadConfig(rctx)
	rec := engine.AuditRecord{Entry: "reload", Detail: "SIGHUP: config and rule table reloaded", Outcome: "ok"}
	if err != nil {
		m.Log.Error("SIGHUP: reload failed, old config and table kept", "err", err)
		rec.Outcome, rec.Detail = "internal", "SIGHUP: reload failed: "+err.Error()
		var ce *engine.CompileError
		if errors.As(err, &ce) {
			rec.Outcome = "invalid"
		}
	} else {
		m.Log.Info("SIGHUP: config and rule table reloaded", "entries", m.Engine.Table().Len())
	}
	if aerr := m.Engine.Audit(ctx, rec); aerr != nil {
		m.Log.Warn("SIGHUP: audit row not written", "err", aerr)
	}
	return err
}

// auditCLI writes the audit row of a change made on the command line
// (user add); a failure to write it is reported but does not undo it.
func auditCLI(ctx context.Context, db *schema.DB, entry string, userID int64, username, detail string) {
	host, _ := os.Hostname()
	err := engine.WriteAudit(ctx, db, engine.AuditRecord{UserID: userID, Username: username, IP: "cli@" + host, Entry: entry, Outcome: "ok", Detail: detail})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mvapi: audit row not written:", err)
	}
}
