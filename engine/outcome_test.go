package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

func TestErrorKind(t *testing.T) {
	t.Parallel()
	notFound := engine.Fail(engine.KindNotFound, "user %s not found", "ann")
	for _, tc := range []struct {
		name string
		err  error
		want engine.Kind
		msg  string
	}{
		{"nil", nil, engine.KindNone, ""},
		{"plain error is internal", errors.New("db down"), engine.KindInternal, "internal error, try again later"},
		{"deadline is internal", fmt.Errorf("query: %w", context.DeadlineExceeded), engine.KindInternal, "internal error, try again later"},
		{"canceled", context.Canceled, engine.KindCanceled, "internal error, try again later"},
		{"wrapped canceled", fmt.Errorf("dial: %w", fmt.Errorf("connect: %w", context.Canceled)), engine.KindCanceled, "internal error, try again later"},
		{"joined canceled", errors.Join(errors.New("rollback failed"), context.Canceled), engine.KindCanceled, "internal error, try again later"},
		{"Fail", notFound, engine.KindNotFound, "user ann not found"},
		{"wrapped Fail", fmt.Errorf("lookup: %w", notFound), engine.KindNotFound, "user ann not found"},
		{"Error with a cause", &engine.Error{Kind: engine.KindInternal, Message: "reload failed", Err: errors.New("disk")}, engine.KindInternal, "reload failed"},
		{"Error caused by a cancel", &engine.Error{Kind: engine.KindInvalid, Message: "x", Err: context.Canceled}, engine.KindCanceled, "x"},
		{"ErrNeedsUser", engine.ErrNeedsUser, engine.KindInvalid, "this entry needs a user: send authid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.ErrorKind(tc.err); got != tc.want {
				t.Errorf("ErrorKind = %v, want %v", got, tc.want)
			}
			if tc.err != nil {
				if got := engine.ErrorMessage(tc.err); got != tc.msg {
					t.Errorf("ErrorMessage = %q, want %q", got, tc.msg)
				}
			}
		})
	}
}

func TestResultConstructorsCarryKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		res  format.Result
		ok   bool
		kind engine.Kind
		text string
	}{
		{engine.OK("fine"), true, engine.KindNone, "OK: fine"},
		{engine.Shaped("Your credit is $1"), true, engine.KindNone, "Your credit is $1"},
		{engine.Errorf("bad %s", "amount"), false, engine.KindInvalid, "ERROR: bad amount"},
		{engine.Failf(engine.KindBusy, "server busy"), false, engine.KindBusy, "ERROR: server busy"},
	} {
		if tc.res.OK != tc.ok || tc.res.Kind != tc.kind || tc.res.Text != tc.text {
			t.Errorf("got %+v, want ok=%v kind=%v text=%q", tc.res, tc.ok, tc.kind, tc.text)
		}
	}
	if got := engine.KindNotSupported.String(); got != "notsupported" {
		t.Errorf("KindNotSupported.String() = %q", got)
	}
}

// logBuffer is a concurrency-safe sink for a JSON slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// records returns the logged records as maps.
func (l *logBuffer) records(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// countingLimiter lets every request pass and counts AuthFailed calls.
type countingLimiter struct {
	mu     sync.Mutex
	failed int
}

func (l *countingLimiter) Allow(context.Context, *engine.Request) error { return nil }
func (l *countingLimiter) AuthFailed(*engine.Request) {
	l.mu.Lock()
	l.failed++
	l.mu.Unlock()
}

func (l *countingLimiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// outcomeEngine is an engine over db with test built-ins that fail in
// every way, logging JSON to the returned buffer.
func outcomeEngine(t *testing.T, db *schema.DB, lim engine.Limiter) (*engine.Engine, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	reg := engine.NewRegistry()
	add := func(name string, access engine.Access, needsUser bool, h engine.Handler) {
		reg.Add(engine.Builtin{Name: name, Access: access, NeedsUser: needsUser, Handler: h})
	}
	add("boom", engine.PublicAPI, false, func(context.Context, *engine.Call) (format.Result, error) {
		return engine.OK("ignored when there is an error"), errors.New("db down: connection refused")
	})
	add("invalid", engine.PublicAPI, false, func(context.Context, *engine.Call) (format.Result, error) {
		return format.Result{}, engine.Fail(engine.KindInvalid, "bad amount %q", "x")
	})
	add("hangup", engine.PublicAPI, false, func(ctx context.Context, c *engine.Call) (format.Result, error) {
		// A real statement on a cancelled context, wrapped as handlers do.
		_, err := c.DB().QueryContext(ctx, "SELECT 1")
		return format.Result{}, fmt.Errorf("list: %w", err)
	})
	add("lostwrap", engine.PublicAPI, false, func(ctx context.Context, c *engine.Call) (format.Result, error) {
		// A driver that reports a cut-short dial without wrapping ctx.Err().
		return format.Result{}, errors.New("dial tcp: operation was canceled")
	})
	add("mine", engine.PublicAPI, true, func(_ context.Context, c *engine.Call) (format.Result, error) {
		return engine.OK("user " + c.User.Username), nil
	})
	userOnly := engine.UserAPI
	userOnly.ReqKey = 0
	add("userboom", userOnly, false, func(context.Context, *engine.Call) (format.Result, error) {
		return engine.OK("fine"), nil
	})
	e, err := engine.New(context.Background(), engine.Options{
		DB: db, Registry: reg, Limiter: lim, Version: "test",
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, logs
}

func request(ip string, kv ...string) *engine.Request {
	params := make([]wire.Param, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, wire.Param{Name: strings.ToLower(kv[i]), Value: kv[i+1]})
	}
	return engine.NewRequest(params, netip.MustParseAddr(ip), "internal")
}

func stat(t *testing.T, e *engine.Engine, entry string) engine.EntryStat {
	t.Helper()
	stats, _ := e.RequestStats()
	for _, s := range stats {
		if s.Entry == entry {
			return s
		}
	}
	return engine.EntryStat{Entry: entry}
}

func TestServeOutcomes(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1", Credit: 5})
	e, logs := outcomeEngine(t, db, &countingLimiter{})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		req      *engine.Request
		kind     engine.Kind
		text     string
		errorLog bool // one ERROR record "request failed" for the entry
	}{
		{"internal error", context.Background(), request("203.0.113.1", "apientry", "boom"),
			engine.KindInternal, "ERROR: internal error, try again later", true},
		{"client failure", context.Background(), request("203.0.113.1", "apientry", "invalid"),
			engine.KindInvalid, `ERROR: bad amount "x"`, false},
		{"hang-up during a statement", cancelled, request("203.0.113.1", "apientry", "hangup"),
			engine.KindCanceled, "ERROR: internal error, try again later", false},
		{"hang-up the driver did not wrap", cancelled, request("203.0.113.1", "apientry", "lostwrap"),
			engine.KindCanceled, "ERROR: internal error, try again later", false},
		{"needs a user, none sent", context.Background(), request("203.0.113.1", "apientry", "mine"),
			engine.KindInvalid, "ERROR: this entry needs a user: send authid", false},
		{"needs a user, one sent", context.Background(), request("203.0.113.1", "apientry", "mine", "authid", "ann"),
			engine.KindNone, "OK: user ann", false},
		{"unknown entry", context.Background(), request("203.0.113.1", "apientry", "nosuch"),
			engine.KindNotFound, "ERROR: unknown apientry: nosuch", false},
		{"auth failed", context.Background(), request("203.0.113.1", "apientry", "userboom", "authid", "ann", "authpwd", "wrong"),
			engine.KindAuth, "ERROR: auth failed: wrong user or password", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.records(t))
			res := e.Serve(tc.ctx, tc.req)
			if res.Kind != tc.kind || res.Text != tc.text || res.OK != (tc.kind == engine.KindNone) {
				t.Fatalf("got kind=%v ok=%v %q, want kind=%v %q", res.Kind, res.OK, res.Text, tc.kind, tc.text)
			}
			if tc.req.ID == "" {
				t.Error("Serve left the request without an id")
			}
			var errs []map[string]any
			for _, r := range logs.records(t)[before:] {
				if r["level"] == "ERROR" {
					errs = append(errs, r)
				}
			}
			switch {
			case !tc.errorLog && len(errs) > 0:
				t.Fatalf("logged as an error: %v", errs)
			case tc.errorLog && len(errs) != 1:
				t.Fatalf("want one ERROR record, got %v", errs)
			case tc.errorLog:
				r := errs[0]
				if r["msg"] != "request failed" || r["entry"] != tc.req.Entry || r["request"] != tc.req.ID ||
					!strings.Contains(fmt.Sprint(r["err"]), "db down") {
					t.Fatalf("error record %v: want entry %q, request %q and the cause", r, tc.req.Entry, tc.req.ID)
				}
			}
		})
	}

	// customsql keeps its answer text; a hang-up is canceled, not failed.
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql, req_key, req_user) VALUES ('pubsql', 'SELECT 1', 0, 14)")
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res := e.Serve(context.Background(), request("203.0.113.1", "apientry", "pubsql")); res.Text != "OK: 1" {
		t.Fatalf("pubsql answered %+v", res)
	}
	res := e.Serve(cancelled, request("203.0.113.1", "apientry", "pubsql"))
	if res.Kind != engine.KindCanceled || !strings.HasPrefix(res.Text, "ERROR: sql: ") {
		t.Fatalf("pubsql after a hang-up answered kind=%v %q", res.Kind, res.Text)
	}
	if s := stat(t, e, "pubsql"); s.OK != 1 || s.Failed != 0 || s.Canceled != 1 {
		t.Errorf("pubsql counted %+v, want 1 ok and 1 canceled", s)
	}

	// The counters count by kind; a hang-up is not a failed request.
	if s := stat(t, e, "hangup"); s.Failed != 0 || s.Canceled != 1 || s.Kinds[engine.KindCanceled] != 1 {
		t.Errorf("hangup counted %+v, want 1 canceled and 0 failed", s)
	}
	if s := stat(t, e, "boom"); s.Failed != 1 || s.Kinds[engine.KindInternal] != 1 || s.OK != 0 {
		t.Errorf("boom counted %+v, want 1 internal failure", s)
	}
	if s := stat(t, e, "mine"); s.OK != 1 || s.Failed != 1 || s.Kinds[engine.KindInvalid] != 1 {
		t.Errorf("mine counted %+v, want 1 ok and 1 invalid", s)
	}
}

func TestServeKeepsTransportRequestID(t *testing.T) {
	e, logs := outcomeEngine(t, mvtest.MustDB(t), &countingLimiter{})
	req := request("203.0.113.1", "apientry", "boom")
	req.ID = "edge-42"
	e.Serve(context.Background(), req)
	other := request("203.0.113.1", "apientry", "boom")
	e.Serve(context.Background(), other)
	if req.ID != "edge-42" {
		t.Fatalf("Serve replaced the transport's id with %q", req.ID)
	}
	if other.ID == "" || other.ID == req.ID {
		t.Fatalf("second request id %q", other.ID)
	}
	var ids []any
	for _, r := range logs.records(t) {
		if r["msg"] == "request failed" {
			ids = append(ids, r["request"])
		}
	}
	if len(ids) != 2 || ids[0] != "edge-42" || ids[1] != other.ID {
		t.Fatalf("logged request ids %v", ids)
	}
}

// The lockout counts failed authentications only: a database failure while
// looking the user up is an internal error, not a wrong password.
func TestLockoutCountsOnlyAuthFailures(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1", Credit: 5})
	lim := &countingLimiter{}
	e, _ := outcomeEngine(t, db, lim)
	ip := "203.0.113.7"
	for _, tc := range []struct {
		kv   []string
		kind engine.Kind
	}{
		{[]string{"apientry", "userboom", "authid", "ann", "authpwd", "wrong"}, engine.KindAuth},
		{[]string{"apientry", "userboom", "authid", "nobody", "authpwd", "x"}, engine.KindAuth},
		{[]string{"apientry", "userboom"}, engine.KindAuth}, // missing authid
		{[]string{"apientry", "userboom", "authid", "ann", "authpwd", "annpass1"}, engine.KindNone},
		{[]string{"apientry", "invalid"}, engine.KindInvalid},
		{[]string{"apientry", "boom"}, engine.KindInternal},
	} {
		if res := e.Serve(context.Background(), request(ip, tc.kv...)); res.Kind != tc.kind {
			t.Fatalf("%v: kind %v (%q), want %v", tc.kv, res.Kind, res.Text, tc.kind)
		}
	}
	if n := lim.count(); n != 3 {
		t.Fatalf("AuthFailed called %d times, want 3", n)
	}
	// Database trouble during authentication.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	res := e.Serve(context.Background(), request(ip, "apientry", "userboom", "authid", "ann", "authpwd", "wrong"))
	if res.Kind != engine.KindInternal || res.Text != "ERROR: internal error, try again later" {
		t.Fatalf("closed database answered kind=%v %q", res.Kind, res.Text)
	}
	if n := lim.count(); n != 3 {
		t.Fatalf("database trouble counted towards the lockout (%d)", n)
	}
}
