package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
)

// TestPgbouncerTransactionMode runs two mvapi nodes through pgbouncer in
// transaction pooling with the README's settings (DSN with
// default_query_exec_mode=exec, pgbouncer=1; node 1 LISTENs on a direct
// listendsn, node 2 polls): the failover test's load of transfers and
// balance answers no error at all, none about prepared statements, and
// apireload reaches both nodes.
func TestPgbouncerTransactionMode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 10 s pgbouncer run")
	}
	bouncer := "/usr/sbin/pgbouncer"
	if _, err := os.Stat(bouncer); err != nil {
		if p, err := exec.LookPath("pgbouncer"); err == nil {
			bouncer = p
		} else {
			needTool(t, "pgbouncer", "apt-get install -y pgbouncer")
		}
	}
	r := newPGRunner(t)
	primary := r.initPrimary("primary", "")
	port := startPgbouncer(t, r, bouncer, primary)

	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&default_query_exec_mode=exec", port)
	sets := failoverSets()
	sets["pgbouncer"] = "1"
	sets["listendsn"] = primary.dsn()
	n1 := startNode(t, dsn, sets)
	sets2 := failoverSets()
	sets2["pgbouncer"] = "1" // no listendsn: polling only
	n2 := startNode(t, dsn, sets2)

	users := seedUsers(t, n1, 16, 1000)
	ld := newLoad(t, []*testServer{n1, n2}, users)
	ld.run(8, 10*time.Second, 0, nil)
	rep := ld.report()
	prepared := 0
	for _, e := range rep.errors {
		if strings.Contains(e, "prepared statement") {
			prepared++
		}
	}
	for _, s := range []*testServer{n1, n2} {
		if lw, ok := nodeLogs.Load(s); ok {
			prepared += strings.Count(lw.(*testLogWriter).String(), "prepared statement")
		}
	}
	t.Logf("through pgbouncer (transaction pooling, default_query_exec_mode=exec): %d requests (%d transfers OK, %d balance OK), %d failed, %d prepared-statement errors",
		rep.total, rep.transfersOK, rep.balancesOK, rep.failed, prepared)
	for _, e := range rep.samples {
		t.Logf("  failed: %s", e)
	}
	if rep.failed > 0 || prepared > 0 {
		t.Errorf("%d requests failed, %d prepared-statement errors through pgbouncer", rep.failed, prepared)
	}
	if rep.transfersOK < 100 {
		t.Errorf("only %d transfers succeeded", rep.transfersOK)
	}

	// apireload: node 1 hears it on listendsn, node 2 by polling.
	n1.user("bouncer", "bouncepw1", engine.TypeAdmin, 0)
	n1.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('pooled', 'SELECT ''pooled''')`)
	sent := time.Now()
	wantPrefix(t, n2.apireload("bouncer", "bouncepw1"), "OK: apireload:")
	auth := n1.md5Auth(users0, "pw-"+users0)
	waitFor(t, 5*time.Second, func() bool {
		_, body := n1.get(append([]string{"apientry", "pooled"}, auth...)...)
		return body == "OK: pooled"
	})
	reached := time.Since(sent)
	t.Logf("apireload sent to node 2 reached node 1 (LISTEN on listendsn) after %v", reached.Round(time.Millisecond))
	figures(t, "pgbouncer pool_mode=transaction requests=%d failed=%d prepared_statement_errors=%d transfers_ok=%d apireload_to_node1=%v",
		rep.total, rep.failed, prepared, rep.transfersOK, reached.Round(time.Millisecond))
}

// startPgbouncer runs pgbouncer (as postgres) in transaction pooling in
// front of primary and returns its port; it is killed by t.Cleanup.
func startPgbouncer(t *testing.T, r *pgRunner, bin string, primary *pgNode) int {
	t.Helper()
	port := freePort(t)
	dir := r.dir
	r.writeFile(filepath.Join(dir, "userlist.txt"), `"postgres" ""`+"\n", false)
	r.writeFile(filepath.Join(dir, "pgbouncer.ini"), fmt.Sprintf(`[databases]
postgres = host=127.0.0.1 port=%d dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = %s
pidfile = %s
`, primary.port, port, filepath.Join(dir, "userlist.txt"), filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid")), false)
	cmd := r.command(bin, filepath.Join(dir, "pgbouncer.ini"))
	out := &testLogWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Logf("pgbouncer output:\n%s\n%s", out.String(), b)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer not listening within 15 s: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
