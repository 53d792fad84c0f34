// Command mvapi serves the Mizu VoIP server API from a SQL database: every
// entry, built-in or custom, is a row of tb_api compiled into one rule table.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/fixtures"
	"mvapi/internal/logcollapse"
	"mvapi/internal/logring"
	"mvapi/internal/server"
	"mvapi/jobs"
	"mvapi/schema"
	"mvapi/transport"
	"mvapi/web"
)

// Version is the server version, set at build time with -ldflags.
var Version = "0.1.0-dev"

func main() {
	err := newRootCommand(os.Stdout, os.Stderr).Execute()
	var re *restartError
	if errors.As(err, &re) {
		err = restartProcess(re)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mvapi:", err)
		os.Exit(1)
	}
}

// Main is the wired server: database, engine and listeners. Tests run the
// real Main on a free port with a temporary database.
type Main struct {
	DSN    string
	Listen string // "" means ":" + mainaport; its host is also the extra listeners' (see listenHost)
	// TLSListen is the HTTPS address; "" means ":" + sslportmain, and no
	// HTTPS when that is 0.
	TLSListen string
	// ConsoleListen is the admin console's address; "" means
	// "127.0.0.1:" + adminport, and no console when adminport is 0.
	ConsoleListen string
	Sets          map[string]string // --set name=value
	Demo          bool
	Out           io.Writer // where example URLs are printed
	Log           *slog.Logger

	// TCPListen and UDPListen are the raw TCP and UDP API addresses; ""
	// means ":" + tcpport / udpport, and none when that port is 0.
	TCPListen, UDPListen string

	DB        *schema.DB
	Engine    *engine.Engine
	DemoUsers []fixtures.DemoUser
	// Actions are the custom_action kinds and the outbox workers.
	Actions *actions.Actions
	// Jobs is the scheduler: maintenance jobs and tb_scheduledtasks.
	Jobs *jobs.Scheduler

	stack       *server.Stack // Engine, Actions and Jobs, wired by server.Build
	server      *http.Server
	tlsServer   *http.Server
	tlsAddr     string
	console     *transport.Console
	consoleAddr string
	ws          *transport.WebSocket
	tcp         *transport.TCP
	udp         *transport.UDP
	tcpAddr     string
	udpAddr     string
	ln          net.Listener
	done        chan error
	stopWatch   context.CancelFunc
	restart     chan string // a graceful restart asked by an action (see Restart)
	ops         opsState    // admin HTTP listener, log settings (ops.go)

	// The shared service port (mainaport), UDP on its port number
	// (mainaportudp) and the sniffer inside TLS of the HTTPS port.
	shared, tlsShared *transport.Shared
	sharedUDP         *transport.UDP
	sharedUDPAddr     string
}

// Open opens and migrates the database, writes first-start rows (and demo
// data with Demo on an empty database) and builds the engine.
func (m *Main) Open(ctx context.Context) error {
	if m.Log == nil {
		m.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	// The recent log lines stay in memory for showlog and logsearch, with
	// secrets masked in the log and in the copy.
	if _, ok := m.Log.Handler().(*logring.Handler); !ok {
		m.Log = slog.New(logcollapse.New(m.Log.Handler(), nil)) // repeated WARN/ERROR lines: first one, then "N more in the last 10 s"
		m.Log = slog.New(logring.New(m.Log.Handler(), logring.DefaultLines))
	}
	if m.Out == nil {
		m.Out = io.Discard
	}
	if err := m.precheck(ctx); err != nil {
		return err
	}
	db, err := openMigrated(ctx, m.DSN)
	if err != nil {
		return err
	}
	m.DB = db
	if m.Demo {
		empty, err := fixtures.IsEmpty(ctx, db)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if empty {
			if m.DemoUsers, err = fixtures.Demo(ctx, db); err != nil {
				return err
			}
		}
	}
	m.restart = make(chan string, 1)
	m.stack, err = server.Build(ctx, server.Deps{DB: db, Sets: m.Sets, Logger: m.Log, Version: Version, Restart: m.Restart})
	if err != nil {
		return err
	}
	m.Engine, m.Actions, m.Jobs = m.stack.Engine, m.stack.Actions, m.stack.Jobs
	m.applyLogSettings()
	return nil
}

// openMigrated opens the DSN, applies migrations and first-start rows.
func openMigrated(ctx context.Context, dsn string) (*schema.DB, error) {
	db, err := schema.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := schema.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := fixtures.Defaults(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Start listens and serves in the background.
func (m *Main) Start() error {
	m.ws = &transport.WebSocket{Engine: m.Engine, Log: m.Log}
	handler := web.New(m.Engine, &transport.HTTP{Engine: m.Engine, WS: m.ws}) // /webvoip, /console/, else the API
	m.server = transport.NewServer(handler)
	m.server.ErrorLog = m.errorLog()
	m.done = make(chan error, 1)
	tlsCfg, err := m.loadTLS()
	if err != nil {
		return err
	}
	if err := m.startShared(tlsCfg); err != nil {
		m.closeShared()
		return err
	}
	if err := m.startTLS(handler, tlsCfg); err != nil {
		m.closeShared()
		m.server.Close()
		return err
	}
	m.stack.Start() // the outbox workers and the scheduler
	if err := m.startConsole(); err != nil {
		m.closeShared()
		m.server.Close()
		return err
	}
	if err := m.startAdminHTTP(); err != nil {
		m.server.Close()
		return err
	}
	if err := m.startLineTransports(); err != nil {
		m.closeLineTransports()
		m.closeShared()
		m.server.Close()
		return err
	}
	if m.ln == nil && m.tlsAddr == "" && m.consoleAddr == "" && m.tcpAddr == "" && m.udpAddr == "" {
		m.Close()
		return errors.New("usemainaport=0 and no other port (tcpport, udpport, sslportmain, adminport): nothing to serve")
	}
	watchCtx, stop := context.WithCancel(context.Background())
	m.stopWatch = stop
	poll := time.Duration(max(m.Engine.Config().Int("changepoll"), 1)) * time.Second
	go m.Engine.Watch(watchCtx, m.listenDSN(), poll)
	m.startReplica(watchCtx)
	m.Log.Info("mvapi serving", "addr", m.Addr(), "db", m.DB.DSN, "version", Version)
	return nil
}

// startConsole opens the admin console when configured.
func (m *Main) startConsole() error {
	addr := m.ConsoleListen
	if addr == "" {
		port := m.Engine.Config().Int("adminport")
		if port == 0 {
			return nil
		}
		// Loopback unless an address is given: the console is for the
		// operator on this machine.
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("admin console: listen %s: %w", addr, err)
	}
	m.console = &transport.Console{Engine: m.Engine, Log: m.Log}
	m.consoleAddr = ln.Addr().String()
	go m.console.Serve(ln)
	m.Log.Info("admin console listening", "addr", ln.Addr().String())
	return nil
}

// ConsoleAddr is the admin console's address ("" when off).
func (m *Main) ConsoleAddr() string { return m.consoleAddr }

// Addr is the address of the shared service port ("" when off).
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// URL is the base URL of the API, for examples.
func (m *Main) URL() string {
	_, port, _ := net.SplitHostPort(m.Addr())
	return "http://127.0.0.1:" + port
}

// Close stops accepting requests, lets running ones finish, drains the
// async queue and closes the database.
func (m *Main) Close() error {
	var errs []error
	if m.stopWatch != nil {
		m.stopWatch()
	}
	if m.console != nil {
		m.console.Close()
	}
	if err := m.closeAdminHTTP(); err != nil {
		errs = append(errs, fmt.Errorf("admin http shutdown: %w", err))
	}
	m.closeLineTransports()
	if err := m.closeTLS(); err != nil {
		errs = append(errs, fmt.Errorf("https shutdown: %w", err))
	}
	if m.server != nil {
		if err := transport.Shutdown(m.server, 20*time.Second); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	m.closeShared()
	if m.stack != nil {
		// Running jobs finish (their ticks are recorded), deliveries in
		// flight finish (the rest waits in tb_outbox), then the engine's
		// queued work.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		m.stack.Close(ctx)
		cancel()
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

// runUntilSignal serves until ctx ends (serve cancels it on SIGINT or
// SIGTERM, with the handler installed before the database is opened), then
// shuts down gracefully.
func (m *Main) runUntilSignal(ctx context.Context) error {
	select {
	case <-ctx.Done():
		m.Log.Info("shutting down")
	case err := <-m.done:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case reason := <-m.restart:
		m.Log.Warn("restarting gracefully", "reason", reason)
		if err := m.Close(); err != nil {
			return err
		}
		return &restartError{reason: reason, mode: m.Engine.Config().Get("restartmode")}
	}
	return m.Close()
}

// Restart asks the running server for a graceful restart (custom_action
// 4/54): stop accepting, let running requests, the async queue and the
// outbox deliveries in flight finish, close the database, then re-exec or
// exit with ExitRestart (restartmode). It does not block.
func (m *Main) Restart(reason string) {
	select {
	case m.restart <- reason:
	default: // a restart is already on its way
	}
}
