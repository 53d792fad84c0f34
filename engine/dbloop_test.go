package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// syncBuffer is a log sink that tests read while the engine writes.
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

// loggedEngine is an engine wired like the server whose log the test reads.
func loggedEngine(t *testing.T, db *schema.DB, sets map[string]string) (*engine.Engine, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	e, _ := mvtest.MustEngineActions(t, db, sets, actions.Deps{Logger: slog.New(slog.NewTextHandler(buf, nil))})
	return e, buf
}

// serveReq serves one request from ip and returns the request (its ID) too.
func serveReq(e *engine.Engine, ip string, kv ...string) (*engine.Request, format.Result) {
	params := make([]wire.Param, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, wire.Param{Name: strings.ToLower(kv[i]), Value: kv[i+1]})
	}
	req := engine.NewRequest(params, netip.MustParseAddr(ip), "internal")
	return req, e.Serve(context.Background(), req)
}

// insertRow inserts a tb_api row and returns its id.
func insertRow(t *testing.T, db *schema.DB, cols string, vals ...any) int64 {
	t.Helper()
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")
	var id int64
	q := db.Dialect.ReturningID("INSERT INTO tb_api (" + cols + ") VALUES (" + marks + ")")
	if err := db.QueryRow(q, vals...).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// eventually polls cond for up to 20 seconds (the machine may be loaded).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var mailSets = map[string]string{"smtphost": "127.0.0.1", "smtpfrom": "mvapi@example.com"}

// TestApireloadPreparesEveryStatement: a typo, an unknown table or column
// or function in customsql (synchronous or not), in a SQL action, in a
// {select ...} of an email body or in a scheduled task is refused by
// apireload with the database's message and the row's id and fname; the
// old table keeps serving.
func TestApireloadPreparesEveryStatement(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		e, _ := loggedEngine(t, db, mailSets)
		want := map[int64]string{
			insertRow(t, db, "fname, customsql", "typo", "SELEC * FROM nowhere"):                                   "customsql",
			insertRow(t, db, "fname, customsql", "nocol", "SELECT nosuchcol FROM tb_users WHERE id = [USERID]"):    "customsql",
			insertRow(t, db, "fname, customsql", "notable", "*UPDATE nosuchtable SET a = 1 WHERE b = '[SPARAM1]'"): "customsql",
			insertRow(t, db, "fname, customsql", "nofunc", "SELECT nosuchfunction(credit) FROM tb_users"):          "customsql",
			insertRow(t, db, "fname, customsql, custom_action, custom_action_body", "badaction", "SELECT 1", 58,
				"UPDATE tb_users SET nosuchcol = 1 WHERE id = [USERID]"): "custom_action",
			insertRow(t, db, "fname, customsql, custom_action, custom_action_body", "badsub", "SELECT 1", 1,
				"***TO=ops@example.com\nlast call: {select nosuchcol from tb_cdrs where callerid = USERID}"): "custom_action",
		}
		mvtest.MustExec(t, db, "INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body) VALUES ('badtask', '@every 1h', 8, 'DELETE FROM nowhere')")
		before := e.Snapshot()
		_, err := e.ReloadTable(context.Background())
		var ce *engine.CompileError
		if !errors.As(err, &ce) {
			t.Fatalf("apireload: %v, want a CompileError", err)
		}
		got := map[int64]string{}
		task := false
		for _, r := range ce.Rows {
			if !strings.Contains(r.Err.Error(), db.Dialect.Title()+" refused it: ") {
				t.Errorf("row %d %s: %v, want the database's message", r.ID, r.Fname, r.Err)
			}
			if r.Table == "tb_scheduledtasks" {
				task = r.Fname == "badtask"
				continue
			}
			got[r.ID] = r.Field
		}
		for id, field := range want {
			if got[id] != field {
				t.Errorf("row %d: field %q, want %q (%v)", id, got[id], field, err)
			}
		}
		if len(got) != len(want) || !task {
			t.Errorf("bad rows %v (task %v), want %v: %v", got, task, want, err)
		}
		if e.Snapshot() != before {
			t.Fatal("a refused apireload replaced the snapshot")
		}
		// Keywords are bound: statements with placeholders prepare.
		mvtest.MustExec(t, db, "DELETE FROM tb_api")
		mvtest.MustExec(t, db, "DELETE FROM tb_scheduledtasks")
		insertRow(t, db, "fname, customsql", "bound", "SELECT username FROM tb_users WHERE id = [USERID] AND username LIKE '%[SPARAM1]%' AND email = {email}")
		insertRow(t, db, "fname, customsql", "write", "UPDATE tb_users SET name = [SPARAM1] WHERE id = [USERID]")
		if _, err := e.ReloadTable(context.Background()); err != nil {
			t.Fatalf("apireload of good rows: %v", err)
		}
	})
}

// TestSeveralStatementsInOneRow: a row of several statements is not
// refused: SQLite prepares its first statement, PostgreSQL cannot prepare
// several at once and leaves the row unchecked (logged); it runs as before.
func TestSeveralStatementsInOneRow(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		e, log := loggedEngine(t, db, nil)
		insertRow(t, db, "fname, customsql", "twice", "*UPDATE tb_users SET credit = credit WHERE id = 0; UPDATE tb_users SET credit = credit WHERE id = 0")
		if _, err := e.ReloadTable(context.Background()); err != nil {
			t.Fatalf("apireload: %v", err)
		}
		if got := serve(e, "127.0.0.1", "apientry", "twice"); !strings.HasPrefix(got, "OK: ") {
			t.Fatalf("twice answered %q", got)
		}
		if db.Dialect.DescribeSQL() == "" && strings.Contains(dsn, "postgres") && !strings.Contains(log.String(), "not checked against the database") {
			t.Error("the unchecked statement was not logged")
		}
	})
}

// TestBadRowAtStartServesTheRest: a server started with bad rows in tb_api
// and tb_scheduledtasks serves every other row; each bad entry answers
// that it is not available, is logged as an error and listed by apistatus
// until an apireload that compiles.
func TestBadRowAtStartServesTheRest(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1", Credit: 3})
	badID := insertRow(t, db, "fname, customsql", "typo", "SELEC * FROM nowhere")
	insertRow(t, db, "fname, customsql, req_user", "balance", "SELECT nosuchcol FROM tb_users", 12)
	insertRow(t, db, "fname, customsql", "good", "SELECT 'fine'")
	mvtest.MustExec(t, db, "INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body) VALUES ('badtask', '@every 1h', 8, 'DELETE FROM nowhere')")

	e, log := loggedEngine(t, db, nil)
	key := mvtest.APIKey(t, db)
	for entry, want := range map[string]string{
		"typo":     "ERROR: apientry typo is not available (misconfigured)",
		"balance":  "ERROR: apientry balance is not available (misconfigured)", // not the built-in
		"good":     "OK: fine",
		"apitest1": "OK: ", // another built-in
	} {
		_, res := serveReq(e, "203.0.113.7", "apientry", entry, "authkey", key, "authid", "ann", "authpwd", "annpass1")
		if !strings.HasPrefix(res.Text, want) {
			t.Errorf("%s answered %q, want %q", entry, res.Text, want)
		}
		if strings.HasSuffix(want, "(misconfigured)") && res.Kind != engine.KindUnavailable {
			t.Errorf("%s: kind %v", entry, res.Kind)
		}
	}
	for _, want := range []string{"level=ERROR", fmt.Sprintf("id=%d name=typo field=customsql", badID), `near \"SELEC\"`, "name=badtask"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	res := e.Serve(context.Background(), engine.NewRequest([]wire.Param{{Name: "apientry", Value: "apistatus"}}, netip.MustParseAddr("127.0.0.1"), "internal"))
	if !strings.HasPrefix(res.Text, "OK: 3 misconfigured, 0 with async failures") || len(res.Rows) != 3 {
		t.Fatalf("apistatus: %q %v", res.Text, res.Rows)
	}
	if r := res.Rows[0]; r[0] != "misconfigured" || r[1] != "typo" || r[2] != "tb_api" || r[3] != fmt.Sprint(badID) || !strings.Contains(r[6], "SELEC") {
		t.Errorf("apistatus row %v", r)
	}
	if r := res.Rows[2]; r[1] != "badtask" || r[2] != "tb_scheduledtasks" {
		t.Errorf("apistatus row %v", r)
	}

	// apireload stays all or nothing: with the bad rows still there it is
	// refused; once they are fixed every entry serves.
	if _, err := e.ReloadTable(context.Background()); err == nil {
		t.Fatal("apireload accepted the bad rows")
	}
	mvtest.MustExec(t, db, "UPDATE tb_api SET customsql = 'SELECT ''fixed''' WHERE fname = 'typo'")
	mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname = 'balance'")
	mvtest.MustExec(t, db, "DELETE FROM tb_scheduledtasks")
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := serve(e, "127.0.0.1", "apientry", "typo"); got != "OK: fixed" {
		t.Fatalf("typo after the fix: %q", got)
	}
	if bad := e.BadRows(); len(bad) != 0 {
		t.Fatalf("BadRows after a good apireload: %v", bad)
	}
}

// TestStrictStartRefusesABadRow: strictstart=1 restores fail-fast.
func TestStrictStartRefusesABadRow(t *testing.T) {
	db := mvtest.MustDB(t)
	insertRow(t, db, "fname, customsql", "typo", "SELEC * FROM nowhere")
	reg := engine.NewRegistry()
	_, err := engine.New(context.Background(), engine.Options{DB: db, Registry: reg, Overrides: map[string]string{"strictstart": "1"},
		Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	var ce *engine.CompileError
	if !errors.As(err, &ce) || len(ce.Rows) != 1 || ce.Rows[0].Fname != "typo" {
		t.Fatalf("New with strictstart=1: %v", err)
	}
}

// TestRequestErrorsAndAsyncFailures: a statement that prepares but fails
// when it runs shows the database's message to an admin only; an enduser
// gets a reference to the log line. Asynchronous failures are counted per
// entry for apistatus, across reloads.
func TestRequestErrorsAndAsyncFailures(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1", Credit: 3})
		// A duplicate key: prepares, fails at run time on every database.
		insertRow(t, db, "fname, customsql", "dupsync", "*INSERT INTO tb_api (id, fname) SELECT id, fname FROM tb_api")
		insertRow(t, db, "fname, customsql", "dupasync", "INSERT INTO tb_api (id, fname) SELECT id, fname FROM tb_api")
		e, log := loggedEngine(t, db, nil)
		key := mvtest.APIKey(t, db)

		req, res := serveReq(e, "203.0.113.7", "apientry", "dupsync", "authkey", key, "authid", "ann", "authpwd", "annpass1")
		if want := "ERROR: request failed (ref " + req.ID + ")"; res.Text != want {
			t.Fatalf("enduser got %q, want %q", res.Text, want)
		}
		eventually(t, "the log names the request", func() bool {
			for _, l := range strings.Split(log.String(), "\n") {
				if strings.Contains(l, "request="+req.ID) && strings.Contains(l, "level=ERROR") && strings.Contains(l, "entry=dupsync") {
					return true
				}
			}
			return false
		})
		if got := serve(e, "127.0.0.1", "apientry", "dupsync"); !strings.HasPrefix(got, "ERROR: sql: ") {
			t.Fatalf("admin got %q, want the database's message", got)
		}

		_, res = serveReq(e, "203.0.113.7", "apientry", "dupasync", "authkey", key, "authid", "ann", "authpwd", "annpass1")
		if res.Text != "OK: queued" {
			t.Fatalf("dupasync: %q", res.Text)
		}
		serve(e, "127.0.0.1", "apientry", "dupasync")
		eventually(t, "two async failures counted", func() bool {
			f := e.AsyncFailures()
			return len(f) == 1 && f[0].Entry == "dupasync" && f[0].Count == 2
		})
		insertRow(t, db, "fname, customsql", "another", "SELECT 2")
		if _, err := e.ReloadTable(context.Background()); err != nil {
			t.Fatal(err)
		}
		f := e.AsyncFailures()
		if len(f) != 1 || f[0].Count != 2 || f[0].LastError == "" || f[0].What != "customsql" || time.Since(f[0].Last) > time.Minute {
			t.Fatalf("after apireload: %+v", f)
		}
		res = e.Serve(context.Background(), engine.NewRequest([]wire.Param{{Name: "apientry", Value: "apistatus"}}, netip.MustParseAddr("127.0.0.1"), "internal"))
		if !strings.HasPrefix(res.Text, "OK: 0 misconfigured, 1 with async failures") || len(res.Rows) != 1 ||
			res.Rows[0][1] != "dupasync" || res.Rows[0][5] != "2" {
			t.Fatalf("apistatus: %q %v", res.Text, res.Rows)
		}
	})
}

// TestSelectCutAt100RowsSaysSo: a SELECT of more than 100 rows answers
// "OK: 100 rows (more not shown)" and the truncated flag; 100 rows exactly
// do not.
func TestSelectCutAt100RowsSaysSo(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		series := "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) SELECT i, i * 2 AS twice FROM n"
		if db.Dialect.DescribeSQL() != "" { // SQL Server: no RECURSIVE word
			series = strings.Replace(series, "RECURSIVE ", "", 1)
		}
		insertRow(t, db, "fname, customsql", "many", fmt.Sprintf(series, 150))
		insertRow(t, db, "fname, customsql", "hundred", fmt.Sprintf(series, 100))
		e, _ := loggedEngine(t, db, nil)
		_, res := serveReq(e, "127.0.0.1", "apientry", "many")
		if res.Text != "OK: 100 rows (more not shown)" || !res.Truncated || len(res.Rows) != 100 {
			t.Fatalf("many: %q truncated=%v rows=%d", res.Text, res.Truncated, len(res.Rows))
		}
		var b bytes.Buffer
		format.Encode(&b, format.JSON, res, "")
		if !strings.HasPrefix(b.String(), `{"code":200,"status":"OK","text":"OK: 100 rows (more not shown)","truncated":true,"rows":[`) {
			t.Errorf("json: %.120s", b.String())
		}
		_, res = serveReq(e, "127.0.0.1", "apientry", "hundred")
		if res.Text != "OK: 100 rows" || res.Truncated || len(res.Rows) != 100 {
			t.Fatalf("hundred: %q truncated=%v rows=%d", res.Text, res.Truncated, len(res.Rows))
		}
	})
}

// TestSQLActionBindsServerValues: SQL actions bind {clientip}, {result},
// {now}, and in a failure action after a failed password the identified
// user's {username}.
func TestSQLActionBindsServerValues(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		mvtest.MustExec(t, db, "CREATE TABLE actlog (ip VARCHAR(64), uname VARCHAR(64), result VARCHAR(200), at TIMESTAMP)")
		mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1", Credit: 3})
		insertRow(t, db, "fname, customsql, custom_action, custom_action_body", "watched", "SELECT 'seen'", 58,
			"INSERT INTO actlog (ip, uname, result, at) VALUES ({clientip}, {username}, {result}, {now})")
		insertRow(t, db, "fname, customsql, custom_action, custom_action_body", "logged", "SELECT 'ok'", 8,
			"INSERT INTO actlog (ip, uname, result, at) VALUES ({clientip}, [USERNAME], '{result}', {now})")
		e, _ := loggedEngine(t, db, nil)
		key := mvtest.APIKey(t, db)
		_, res := serveReq(e, "203.0.113.7", "apientry", "watched", "authkey", key, "authid", "ann", "authpwd", "wrongpass")
		if !strings.HasPrefix(res.Text, "ERROR: auth failed") {
			t.Fatalf("watched: %q", res.Text)
		}
		serveReq(e, "203.0.113.8", "apientry", "logged", "authkey", key, "authid", "ann", "authpwd", "annpass1")
		type logRow struct {
			IP, Uname, Result string
			At                *time.Time
		}
		var rows []logRow
		eventually(t, "both actions logged", func() bool {
			rows = nil
			db.Select(&rows, "SELECT ip, uname, result, at FROM actlog ORDER BY ip")
			return len(rows) == 2
		})
		if r := rows[0]; r.IP != "203.0.113.7" || r.Uname != "ann" || r.Result != "ERROR: auth failed: wrong user or password" || r.At == nil || time.Since(*r.At) > time.Hour || time.Since(*r.At) < -time.Hour {
			t.Errorf("failure action logged %+v", r)
		}
		if r := rows[1]; r.IP != "203.0.113.8" || r.Uname != "ann" || r.Result != "OK: ok" {
			t.Errorf("success action logged %+v", r)
		}
	})
}

// TestFailureBodyNamesTheIdentifiedUser: {username} in a failure action's
// body names the user authid named, after a wrong password too.
func TestFailureBodyNamesTheIdentifiedUser(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1", Credit: 3})
	insertRow(t, db, "fname, customsql, custom_action, custom_action_body", "guarded", "SELECT 1", 54, "failed for {username} from {clientip}")
	reasons := make(chan string, 1)
	e, _ := mvtest.MustEngineActions(t, db, nil, actions.Deps{Restart: func(r string) { reasons <- r }})
	_, res := serveReq(e, "203.0.113.7", "apientry", "guarded", "authkey", mvtest.APIKey(t, db), "authid", "ann", "authpwd", "wrongpass")
	if !strings.HasPrefix(res.Text, "ERROR: auth failed") {
		t.Fatal(res.Text)
	}
	select {
	case r := <-reasons:
		if r != "failed for ann from 203.0.113.7" {
			t.Fatalf("reason %q", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no failure action")
	}
}
