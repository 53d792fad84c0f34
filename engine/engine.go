// Package engine is the core of mvapi: the request model, the rule table
// compiled from the built-in registry and tb_api, and the one pipeline every
// request goes through, whatever its transport:
//
//	resolve   look the entry up in the current rule table (one atomic load)
//	limit     banned IPs and the brute-force lockout (a Limiter; Lockout by default)
//	auth      IP trust, api key, user by authid with authpwd or authmd5, nonce
//	authorize req_user level, registration, credit, the optional rule
//	execute   the built-in handler or the compiled customsql
//	act       the entry's custom_action for success or failure
//
// Transports decode their wire format into a Request and encode the
// format.Result that Serve returns. The rule table and the global config
// it was compiled under form one immutable Snapshot in one atomic pointer;
// a request uses one Snapshot from decoding to encoding (ServeSnapshot).
// apireload and reload compile a whole new snapshot and swap it in; a bad
// tb_api row leaves the old one serving.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"

	"mvapi/engine/format"
	"mvapi/schema"
)

// Limiter decides whether a request may proceed (rate limits, lockouts).
type Limiter interface {
	// Allow returns nil to let the request pass, or an error whose text is
	// answered to the client: an *Error answers with its Kind, any other
	// error as KindDenied.
	Allow(ctx context.Context, req *Request) error
	// AuthFailed records a failed authentication from the request's origin.
	AuthFailed(req *Request)
}

// Options configure New.
type Options struct {
	DB       *schema.DB
	Registry *Registry
	// Actions compile custom_action codes by base code (1 email ... 8 SQL).
	Actions map[int]ActionKind
	// Messenger is the outbox of email and SMS (package actions); nil
	// when the server sends none.
	Messenger Messenger
	// Switches are the SIP switches by switch option value (package
	// switchboard); nil: none.
	Switches map[string]Switch
	// Overrides are --set name=value options; they win over tb_globalconfig.
	Overrides map[string]string
	Limiter   Limiter
	Logger    *slog.Logger
	Version   string
	// Restart is the server's graceful restart behind the restart entry;
	// nil when the process has none.
	Restart func(reason string)
}

// Engine serves requests against the current rule table.
type Engine struct {
	db       *schema.DB
	reg      *Registry
	actions  map[int]ActionKind
	override map[string]string
	// messenger is the outbox; nil when none.
	messenger Messenger
	switches  map[string]Switch
	limiter   Limiter
	log       *slog.Logger
	version   string

	// snap is what requests are served with: the rule table and the
	// global config it was compiled under, swapped as one unit.
	snap atomic.Pointer[Snapshot]

	reloadMu sync.Mutex
	// stopBackground ends the engine's own goroutines (the lockout
	// refresh); background is the group Close waits for.
	stopBackground context.CancelFunc
	background     sync.WaitGroup
	hooks          hooks
	changes        stampState
	users          *userStore
	nonces         nonceStore
	pool           *asyncPool
	failLimits     failureLimits // failure actions per entry and IP; survives apireload
	custom         customPool    // customsql's own connections (isolation.go)

	// replica is the read replica (readdsn); nil when none (replica.go).
	replica atomic.Pointer[replicaPool]

	// Diagnostics (stats.go): request counters, statements in flight.
	started time.Time
	stats   requestStats
	queries queryTracker
	obs     observed
	// status: rows that did not compile at start outside tb_api, and the
	// asynchronous failures per entry (status.go); outside the snapshot
	// so that the counters survive a reload.
	status statusState
}

// New loads the global config and compiles the rule table. A bad tb_api row
// does not stop a server: the good rows serve, each bad row's entry answers
// that it is not available (misconfigured) and is logged as an error, and
// apistatus lists them (BadRows). With strictstart=1 a bad row is an error
// here instead.
func New(ctx context.Context, o Options) (*Engine, error) {
	if o.DB == nil || o.Registry == nil {
		return nil, errors.New("engine: DB and Registry are required")
	}
	e := &Engine{
		db: o.DB, reg: o.Registry, actions: o.Actions, override: o.Overrides, messenger: o.Messenger,
		limiter: o.Limiter, log: o.Logger, version: o.Version, nonces: nonceStore{o.DB},
		started: time.Now(), switches: o.Switches,
	}
	e.hooks.restart = o.Restart
	if e.log == nil {
		e.log = slog.Default()
	}
	bg, stop := context.WithCancel(context.Background())
	e.stopBackground = stop
	if e.limiter == nil {
		l := NewLockout(o.DB, e.Config, e.log)
		e.background.Go(func() { l.Run(bg) })
		e.limiter = l
	}
	e.limiter = withRateLimits(e.limiter, e.Config)
	cfg, err := LoadConfig(ctx, o.DB, o.Overrides)
	if err == nil {
		err = e.applyCustomPool(ctx, cfg)
	}
	if err != nil {
		e.stop()
		return nil, err
	}
	if e.users, err = newUserStore(ctx, e); err != nil {
		e.stop()
		return nil, err
	}
	// The stamps are read before the table is compiled: a reload announced
	// in between is then seen as new by Watch.
	if e.changes.seen, err = e.stamps(ctx); err != nil {
		e.users.close()
		e.stop()
		return nil, err
	}
	t, err := e.compile(ctx, cfg)
	var ce *CompileError
	if errors.As(err, &ce) && t != nil && cfg.Int("strictstart") == 0 {
		e.logBadRows(ce.Rows)
		err = nil
	}
	if err != nil {
		e.users.close()
		e.stop()
		return nil, err
	}
	e.snap.Store(&Snapshot{Table: t, Config: cfg})
	e.pool = newAsyncPool(cfg.Int("customsqlworkers"), cfg.Int("customsqlqueue"), e.log)
	return e, nil
}

// Close stops the engine's goroutines and waits for them, waits for
// queued asynchronous work and releases statements.
func (e *Engine) Close() {
	e.stop()
	e.pool.close()
	e.users.close()
	e.closeCustomPool()
}

// stop ends the engine's own goroutines and waits until they returned.
func (e *Engine) stop() {
	e.stopBackground()
	e.background.Wait()
}

// DB returns the engine's database.
func (e *Engine) DB() *schema.DB { return e.db }

// Snapshot returns what requests are served with now: the rule table and
// the global config, one immutable unit. A transport loads it once per
// request and hands it to ServeSnapshot, so the answer is decoded, served
// and encoded under the same config.
func (e *Engine) Snapshot() *Snapshot { return e.snap.Load() }

// Config returns the current global config (of the current snapshot).
// Code serving a request reads Call.Config instead.
func (e *Engine) Config() *Config { return e.snap.Load().Config }

// Table returns the current rule table (of the current snapshot).
func (e *Engine) Table() *Table { return e.snap.Load().Table }

// Version is the server version string.
func (e *Engine) Version() string { return e.version }

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// Registry returns the built-in registry.
func (e *Engine) Registry() *Registry { return e.reg }

// Compile reads tb_api and compiles a table under the current config
// without installing it (what apireload does first); every statement is
// checked against the database. On a bad row the error is a
// *CompileError and there is no table.
func (e *Engine) Compile(ctx context.Context) (*Table, error) {
	t, err := e.compile(ctx, e.Config())
	if err != nil {
		return nil, err
	}
	return t, nil
}

// compile reads tb_api and compiles a table under cfg, each statement
// checked against the database. On bad rows it returns the table a
// server starts with (bad entries misconfigured) and a *CompileError.
// A reload that changed few rows builds on the table in force
// (compileIncremental); anything else, and whatever that path cannot
// vouch for, goes the full way.
func (e *Engine) compile(ctx context.Context, cfg *Config) (*Table, error) {
	var prev *Table
	var cache *rowCache
	if snap := e.snap.Load(); snap != nil {
		prev, cache = snap.Table, snap.Table.rows.Load()
	}
	if t, ok, err := e.compileIncremental(ctx, cfg, prev, cache); ok || err != nil {
		return t, err
	}
	rows, cache, err := loadRowsCached(ctx, e.db, cache, reusable(prev, cfg))
	if err != nil {
		return nil, err
	}
	c := &compiler{reg: e.reg, actions: e.actions, dialect: e.db.Dialect, cfg: cfg, runSQL: e.sqlHandler, prev: prev,
		check: e.checkSQL, ctx: ctx}
	t, err := c.compile(rows)
	if t != nil {
		t.rows.Store(cache)
	}
	return t, err
}

// ReloadTable compiles tb_api under the current config and swaps the new
// table in (apireload). On any bad row the old table stays and the error
// names every bad row. Requests already running finish on the snapshot
// they started with.
func (e *Engine) ReloadTable(ctx context.Context) (d Diff, err error) {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	defer func(start time.Time) { e.observeReload("apireload", start, err) }(time.Now())
	d, err = e.swap(ctx, e.Config())
	if err != nil {
		return Diff{}, err
	}
	e.log.Info("apireload", "result", d.String())
	return d, nil
}

// ReloadConfig re-reads tb_globalconfig and recompiles tb_api (and the
// reload hooks' rows) under it: the new config and its table are swapped
// in together (reload). All or nothing, like apireload: on a bad value, or
// a row that no longer compiles under the new config (an email row once
// smtphost is removed), the old snapshot stays and the error says why,
// naming every such row.
func (e *Engine) ReloadConfig(ctx context.Context) (err error) {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	defer func(start time.Time) { e.observeReload("reload", start, err) }(time.Now())
	cfg, err := LoadConfig(ctx, e.db, e.override)
	if err == nil {
		err = e.applyCustomPool(ctx, cfg)
	}
	if err != nil {
		return err
	}
	// The file folders are read at start only (trust.go).
	cfg, kept := cfg.keepStartup(e.Config())
	if len(kept) > 0 {
		e.log.Warn("reload: folder options are read at start only; the new values take effect at the next start", "options", kept)
	}
	d, err := e.swap(ctx, cfg)
	var ce *CompileError
	if errors.As(err, &ce) {
		return fmt.Errorf("tb_api does not compile under the new config: %w", err)
	}
	if err != nil {
		return err
	}
	e.log.Info("reload", "result", d.String())
	return nil
}

// swap builds a whole new snapshot under cfg (tb_api and every reload
// hook compiled), then installs it; nothing changes on any error. With
// the same config and an unchanged table the current snapshot stays.
// reloadMu is held.
func (e *Engine) swap(ctx context.Context, cfg *Config) (Diff, error) {
	t, err := e.compile(ctx, cfg)
	installs, herr := e.prepareHooks(ctx, cfg)
	var ce, he *CompileError
	switch {
	case errors.As(err, &ce) && errors.As(herr, &he):
		return Diff{}, &CompileError{Rows: append(ce.Rows, he.Rows...)}
	case err != nil:
		return Diff{}, err
	case herr != nil:
		return Diff{}, herr
	}
	old := e.snap.Load()
	d := diffTables(old.Table, t)
	if !d.Empty() || cfg != old.Config {
		e.snap.Store(&Snapshot{Table: t, Config: cfg})
		closeReplaced(old.Table, t)
	} else {
		old.Table.rows.Store(t.rows.Load()) // the same rows, newer markers
	}
	for _, install := range installs {
		install()
	}
	e.status.clearBad() // every hook's rows compiled
	return d, nil
}

// Serve runs one request through the pipeline on the current snapshot
// and returns the answer (ServeSnapshot for a caller that also encodes
// under the request's config).
func (e *Engine) Serve(ctx context.Context, req *Request) format.Result {
	return e.ServeSnapshot(ctx, e.Snapshot(), req)
}

// ServeSnapshot runs one request through the pipeline on snap, a value of
// Snapshot, and returns the answer: the whole request sees one table and
// one config. It never panics: a panicking handler answers ERROR and is
// logged. Every failure the pipeline or a handler reports as an error
// becomes the answer in one place, failure; the Result's Kind says what
// failed.
func (e *Engine) ServeSnapshot(ctx context.Context, snap *Snapshot, req *Request) (res format.Result) {
	table, cfg := snap.Table, snap.Config
	if req.ID == "" {
		req.ID = newRequestID()
	}
	if req.Entry == "" {
		return Errorf("missing apientry")
	}
	entry, ok := table.Lookup(req.Entry)
	if !ok {
		e.stats.unknown.Add(1)
		return Failf(KindNotFound, "unknown apientry: %s", clip(req.Entry))
	}
	start := time.Now()
	c := &Call{Engine: e, Entry: entry, Req: req, Config: cfg}
	// The request's context names the request in every line logged with
	// it and, under requesttimeout, is like context.WithTimeout without a
	// timer unless someone watches Done (reqCtx).
	c.rc.init(ctx, &req.ID, cfg.RequestTimeout)
	ctx = &c.rc
	defer func() {
		took := time.Since(start)
		e.stats.record(entry.Name, res.Kind, took)
		if cfg.AccessLog {
			e.logAccess(ctx, req, c, entry.Name, res, took)
		}
	}()
	defer c.rc.stop()
	if !entry.Enabled || entry.Access.ReqUser == LevelDisabled && (req.Untrusted || !cfg.trusted(req.RemoteIP)) {
		return Failf(KindDenied, "apientry disabled: %s", entry.Name)
	}
	mapPositional(req.Params, entry.Params)
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("handler panicked", "entry", entry.Name, "request", req.ID, "panic", r, "stack", string(debug.Stack()))
			res = Failf(KindInternal, "internal error")
		}
	}()
	if err := e.limiter.Allow(ctx, req); err != nil {
		var le *Error
		if !errors.As(err, &le) {
			le = &Error{Kind: KindDenied, Message: err.Error()}
		}
		return e.failure(ctx, c, le)
	}
	if entry.Misconfigured {
		return Failf(KindUnavailable, "apientry %s is not available (misconfigured)", entry.Name)
	}
	if err := e.authenticate(ctx, c); err != nil {
		res = e.failure(ctx, c, err)
		if res.Kind == KindAuth { // not database trouble
			e.limiter.AuthFailed(req)
		}
		e.act(c, entry.OnFailure, res)
		return res
	}
	if err := e.authorize(ctx, c); err != nil {
		res = e.failure(ctx, c, err)
		e.act(c, entry.OnFailure, res)
		return res
	}
	if entry.NeedsUser && c.User == nil {
		res = e.failure(ctx, c, ErrNeedsUser)
		e.act(c, entry.OnFailure, res)
		return res
	}
	if err := e.userAllowed(c); err != nil {
		res = e.failure(ctx, c, err)
		e.act(c, entry.OnFailure, res)
		return res
	}
	res, err := e.runHandler(ctx, c, entry.Handler)
	switch {
	case err != nil:
		res = e.failure(ctx, c, err)
	case !res.OK && res.Kind == KindNone:
		res.Kind = KindInvalid // a failure built by hand
	}
	e.auditCall(ctx, c, res)
	if res.Kind == KindAuth {
		// A secret guessed wrong inside the entry (a recharge PIN)
		// counts like a failed password, for the IP and for the user.
		e.guessFailed(c)
	}
	if res.OK {
		if !c.actedInTx {
			if err := e.actSuccess(c, entry.OnSuccess, res); err != nil {
				res = e.actionFailure(ctx, c, err)
				e.act(c, entry.OnFailure, res)
			}
		}
	} else {
		e.act(c, entry.OnFailure, res)
	}
	return res
}

// failure turns an error of the pipeline or of a handler into the answer.
// It is the one place that decides an outcome from an error:
//
//   - an *Error answers "ERROR: " + its Message, with its Kind;
//   - a client that went away (context.Canceled, also wrapped, or any
//     error once the request's context is cancelled, as when a pool dial
//     is cut short) is KindCanceled, logged at debug level only;
//   - anything else is KindInternal: logged once, here, with the entry and
//     the request id, and answered with the generic text.
func (e *Engine) failure(ctx context.Context, c *Call, err error) format.Result {
	kind := ErrorKind(err)
	if kind == KindInternal && errors.Is(ctx.Err(), context.Canceled) {
		kind = KindCanceled
	}
	switch kind {
	case KindCanceled:
		e.log.DebugContext(ctx, "request canceled", "entry", c.Entry.Name, "request", c.Req.ID, "err", err)
		return format.Result{Kind: KindCanceled, Text: "ERROR: " + msgInternal}
	case KindInternal:
		e.log.ErrorContext(ctx, "request failed", "entry", c.Entry.Name, "request", c.Req.ID, "err", err)
	}
	res := format.Result{Kind: kind, Text: "ERROR: " + ErrorMessage(err)}
	if le := (*Error)(nil); kind == KindRateLimited && errors.As(err, &le) {
		res.RetryAfter = le.RetryAfter
	}
	return res
}

// NewIssuedNonce creates a preauth nonce for ip, valid for the current
// config's nonceexpiry.
func (e *Engine) NewIssuedNonce(ctx context.Context, ip netip.Addr) (string, error) {
	return e.nonces.issue(ctx, ip, e.Config().NonceExpiry)
}

func runRule(c *Call) (bool, error) {
	out, err := expr.Run(c.Entry.Rule, ruleEnv{
		User: c.User.fieldMap(), Params: c.Req.Params, IP: c.Req.RemoteIP.String(),
		Now: time.Now(), Entry: c.Entry.Name,
	})
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// clip shortens client text echoed in an answer.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
