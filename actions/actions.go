// Package actions implements the custom_action kinds of tb_api rows and
// registers them with the engine by base code (1 email, 2 SMS, 4 restart,
// 6 reboot, 7 command, 8 SQL; a failure action is the same kind + 50).
//
// Email and SMS never leave the process directly: an action, or one of the
// messaging built-ins through engine.Messenger, writes a row to the durable
// outbox (tb_outbox) and workers deliver it with retries and exponential
// backoff. A row is claimed with an atomic lease, so several nodes share one
// outbox; every message carries an idempotency key (the email Message-ID,
// the gateway's Idempotency-Key) so that a retry after a crash can be told
// apart from a new message. After outboxmaxattempts a message becomes a dead
// letter with its last error, and the failure action (5x) of the entry that
// sent it fires.
//
// Bodies are templates (see body.go): {field}, {select ...} sub-queries and
// the ***TO / ***SUBJECT lines of scheduled tasks, each value escaped for
// where it lands. Commands run without a shell, their argv split once at
// compile time (see argv.go).
package actions

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"mvapi/engine"
)

// Deps are what the actions need from the server around them.
type Deps struct {
	// Logger receives delivery errors and command output (nil: default).
	Logger *slog.Logger
	// Restart asks the server to restart gracefully; nil makes restart
	// actions fail to compile.
	Restart func(reason string)
	// HTTPClient sends SMS gateway requests (nil: a new client; the
	// timeout comes from smsgatewaytimeout).
	HTTPClient *http.Client
	// SMTPTLS is the TLS configuration of SMTP connections (nil: system
	// roots); the server name is always smtphost.
	SMTPTLS *tls.Config
	// Node names this process in tb_outbox.worker (default host:pid).
	Node string
}

// Actions is the set of action kinds and the outbox of one server process.
// It implements engine.Messenger.
type Actions struct {
	deps Deps
	log  *slog.Logger
	node string

	mu      sync.Mutex
	eng     *engine.Engine
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	wake    chan struct{}
	stopped bool
}

var _ engine.Messenger = (*Actions)(nil)

// New returns the actions of one server; Start begins delivering.
func New(d Deps) *Actions {
	a := &Actions{deps: d, log: d.Logger, node: d.Node, wake: make(chan struct{}, 1)}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.node == "" {
		host, _ := os.Hostname()
		a.node = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if a.deps.HTTPClient == nil {
		// A gateway that redirects gets its 3xx answer as a permanent
		// failure: following it could resend the text elsewhere.
		a.deps.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return a
}

// Kinds returns the action kinds by base code, for engine.Options.
func (a *Actions) Kinds() map[int]engine.ActionKind {
	return map[int]engine.ActionKind{
		1: emailKind{a},
		2: smsKind{a},
		4: restartKind{a},
		6: rebootKind{a},
		7: commandKind{a},
		8: sqlKind{},
	}
}

// Start runs the outbox workers (outboxworkers of them) against e until
// Close. Messages enqueued before Start wait in the outbox.
func (a *Actions) Start(e *engine.Engine) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.eng != nil || a.stopped {
		return
	}
	a.eng = e
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	n := e.Config().Int("outboxworkers")
	if n < 1 {
		n = 1
	}
	a.wg.Add(n)
	for i := range n {
		go a.worker(ctx, i)
	}
}

// Close stops the workers and waits for the deliveries in flight; what is
// still pending stays in the outbox for the next start (or another node).
func (a *Actions) Close() {
	a.mu.Lock()
	a.stopped = true
	if a.cancel != nil {
		a.cancel()
	}
	a.mu.Unlock()
	a.wg.Wait()
}

// engine returns the engine given to Start, or nil.
func (a *Actions) engine() *engine.Engine {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.eng
}

// notify wakes one idle worker of this node.
func (a *Actions) notify() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// now is the clock of the outbox: UTC, so that every dialect compares the
// stored times alike.
func now() time.Time { return time.Now().UTC() }

// millis reads an option in milliseconds with a floor.
func millis(cfg *engine.Config, name string, floor int) time.Duration {
	v := cfg.Int(name)
	if v < floor {
		v = floor
	}
	return time.Duration(v) * time.Millisecond
}

// seconds reads an option in seconds with a floor of one.
func seconds(cfg *engine.Config, name string) time.Duration {
	v := cfg.Int(name)
	if v < 1 {
		v = 1
	}
	return time.Duration(v) * time.Second
}
