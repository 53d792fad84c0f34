package actions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/actions/actionstest"
	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// rig is an engine with the actions, a real SMTP server and a real SMS
// gateway on loopback, and fast outbox timings.
type rig struct {
	t    testing.TB
	db   *schema.DB
	e    *engine.Engine
	a    *actions.Actions
	smtp *actionstest.SMTP
	gw   *actionstest.Gateway
	log  *syncBuffer
}

// newRig starts the servers (the SMTP server only when startSMTP) and an
// engine whose config points at them; sets override the defaults.
func newRig(t testing.TB, startSMTP bool, sets map[string]string, deps actions.Deps) *rig {
	t.Helper()
	db := mvtest.MustOpen(t, mvtest.FreshDSN(t, kindOf(t)))
	r := &rig{t: t, db: db, smtp: actionstest.NewSMTP(t), gw: actionstest.StartGateway(t), log: &syncBuffer{}}
	if startSMTP {
		r.smtp.Start(t)
	}
	cfg := map[string]string{
		"smtphost": "127.0.0.1", "smtpport": r.smtp.Port, "smtptls": "none", "smtpfrom": "mvapi@example.com",
		"adminemail": "admin@example.com", "smsgatewayurl": r.gw.Template(), "smtptimeout": "2",
		"smsgatewaytimeout": "2", "outboxpollms": "20", "outboxbackoffms": "20", "outboxbackoffmaxms": "80",
		"outboxmaxattempts": "4",
	}
	for k, v := range sets {
		cfg[k] = strings.ReplaceAll(v, "{gateway}", r.gw.URL) // a URL of this rig's gateway
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(r.log, nil))
	}
	r.e, r.a = mvtest.MustEngineActions(t, r.db, cfg, deps)
	return r
}

// eachDB runs fn per database kind (SQLite, and PostgreSQL or SQL Server
// when their test DSN is set); newRig picks the kind from the test name.
func eachDB(t *testing.T, fn func(t *testing.T)) {
	for _, kind := range mvtest.Kinds() {
		t.Run(kind, fn)
	}
}

func kindOf(t testing.TB) string {
	for _, k := range mvtest.Kinds() {
		if strings.Contains(t.Name()+"/", "/"+k+"/") {
			return k
		}
	}
	return "sqlite"
}

// row adds a tb_api row and reloads the table.
func (r *rig) row(fname, customsql string, action int, body string) {
	r.t.Helper()
	mvtest.MustExec(r.t, r.db, "INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES (?, ?, ?, ?)",
		fname, customsql, action, body)
	if _, err := r.e.ReloadTable(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

// serve runs a request from loopback (trusted: admin without credentials).
func (r *rig) serve(kv ...string) string {
	params := make([]wire.Param, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, wire.Param{Name: strings.ToLower(kv[i]), Value: kv[i+1]})
	}
	req := engine.NewRequest(params, netip.MustParseAddr("127.0.0.1"), "internal")
	return r.e.Serve(context.Background(), req).Text
}

// call is a request to entry as an action or the Messenger sees it.
func (r *rig) call(entry string, kv ...string) *engine.Call {
	r.t.Helper()
	ent, ok := r.e.Table().Lookup(entry)
	if !ok {
		r.t.Fatalf("no entry %s", entry)
	}
	params := make([]wire.Param, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, wire.Param{Name: kv[i], Value: kv[i+1]})
	}
	req := engine.NewRequest(params, netip.MustParseAddr("127.0.0.1"), "internal")
	return &engine.Call{Engine: r.e, Entry: ent, Req: req, Config: r.e.Config(), Trusted: true, Admin: true}
}

// outboxRow is what tests read back from tb_outbox.
type outboxRow struct {
	ID        int64  `db:"id"`
	Kind      string `db:"kind"`
	Key       string `db:"idemkey"`
	To        string `db:"recipients"`
	Status    string `db:"status"`
	Attempts  int    `db:"attempts"`
	LastError string `db:"last_error"`
	Result    string `db:"result"`
	OnFailure int    `db:"onfailure"`
}

func (r *rig) outbox() []outboxRow {
	r.t.Helper()
	var rows []outboxRow
	if err := r.db.Select(&rows, "SELECT id, kind, idemkey, recipients, status, attempts, last_error, result, onfailure FROM tb_outbox ORDER BY id"); err != nil {
		r.t.Fatal(err)
	}
	return rows
}

// waitRow waits until outbox row i (in id order) satisfies done and
// returns the rows.
func (r *rig) waitRow(i int, done func(outboxRow) bool) []outboxRow {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows := r.outbox()
		if len(rows) > i && done(rows[i]) {
			return rows
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("outbox row %d not as awaited: %+v", i, rows)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitSettled waits until every outbox row has left 'pending' and returns them.
func (r *rig) waitSettled(n int) []outboxRow {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows := r.outbox()
		done := len(rows) >= n
		for _, row := range rows {
			done = done && row.Status != "pending"
		}
		if done {
			return rows
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("outbox not settled: %+v", rows)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) count(q string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.db.Get(&n, r.db.Dialect.Rebind(q), args...); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHelperArgv is not a test: run by command and reboot actions as
// "TESTBINARY -test.run=^TestHelperArgv$ -- mvapi-helper OUTFILE ARGS...",
// it writes ARGS as JSON to OUTFILE.
func TestHelperArgv(t *testing.T) {
	args := os.Args
	for i, a := range args {
		if a == "--" && i+2 < len(args) && args[i+1] == "mvapi-helper" {
			b, _ := json.Marshal(args[i+3:])
			os.WriteFile(args[i+2], b, 0o600)
			os.Exit(0)
		}
	}
	t.Skip("helper process for command actions")
}

// helperCommand is a command line that runs TestHelperArgv writing to out.
func helperCommand(out string) string {
	return actions.QuoteArgs([]string{os.Args[0], "-test.run=^TestHelperArgv$", "--", "mvapi-helper", out})
}
