package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// Real PostgreSQL clusters for the replication tests, made from Debian's
// binaries (/usr/lib/postgresql/N/bin: initdb, pg_ctl, pg_basebackup) in a
// temporary folder, run as the postgres user when the test runs as root,
// on free loopback ports, and stopped by t.Cleanup whatever the outcome.
// In CI (CI=true) a missing binary fails the test instead of skipping it.

// figures logs one "FIGURES ..." line of a replication test (the numbers
// issue 17 asks for) and, when MVAPI_TEST_FIGURES names a file (.ci/run
// sets it and prints the file after the suite), appends it there, so that
// a run without -v still shows them.
func figures(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf("FIGURES "+format, args...)
	t.Log(line)
	path := os.Getenv("MVAPI_TEST_FIGURES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("MVAPI_TEST_FIGURES: %v", err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s %s\n", t.Name(), line); err != nil {
		t.Errorf("MVAPI_TEST_FIGURES: %v", err)
	}
}

// lostTransfers counts the transfers answered OK (their request ids) that
// the credit log of db does not hold.
func lostTransfers(t *testing.T, db *sqlx.DB, okReqIDs []string) int {
	t.Helper()
	var logged []string
	if err := db.Select(&logged, "SELECT DISTINCT reqid FROM tb_creditlog WHERE kind = 'transfer' AND reqid <> ''"); err != nil {
		t.Fatal(err)
	}
	inLog := make(map[string]bool, len(logged))
	for _, id := range logged {
		inLog[id] = true
	}
	lost := 0
	for _, id := range okReqIDs {
		if !inLog[id] {
			lost++
		}
	}
	return lost
}

// needTool skips (or fails in CI) when a tool the test needs is missing.
func needTool(t *testing.T, what, hint string) {
	t.Helper()
	msg := what + " not found: " + hint
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: these tests must run; install it in .ci/run)")
	}
	t.Skip(msg)
}

// pgBin returns the folder of the newest PostgreSQL server binaries.
func pgBin(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	needTool(t, "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)", "apt-get install -y postgresql")
	return ""
}

func pgMajor(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// pgRunner runs PostgreSQL tools as the postgres user (when root) inside a
// temporary folder that postgres owns.
type pgRunner struct {
	t    *testing.T
	bin  string
	dir  string
	cred *syscall.Credential
	uid  int
	gid  int
}

func newPGRunner(t *testing.T) *pgRunner {
	t.Helper()
	r := &pgRunner{t: t, bin: pgBin(t), uid: -1, gid: -1}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			needTool(t, "the postgres user", "PostgreSQL refuses to run as root")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		r.uid, r.gid = uid, gid
		r.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "mvapi-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	r.dir = dir
	os.Chmod(dir, 0o755)
	r.chown(dir)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return r
}

func (r *pgRunner) chown(path string) {
	if r.uid >= 0 {
		os.Chown(path, r.uid, r.gid)
	}
}

// command builds a command of tool (a PostgreSQL binary or a full path) run
// as postgres.
func (r *pgRunner) command(tool string, args ...string) *exec.Cmd {
	if !filepath.IsAbs(tool) {
		tool = filepath.Join(r.bin, tool)
	}
	cmd := exec.Command(tool, args...)
	cmd.Dir = r.dir
	cmd.Env = []string{"PATH=" + r.bin + ":/usr/bin:/bin", "LANG=C", "HOME=" + r.dir}
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	return cmd
}

// run runs tool to completion and fails the test on an error.
func (r *pgRunner) run(tool string, args ...string) {
	r.t.Helper()
	out, err := r.command(tool, args...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
}

// writeFile writes a file postgres owns.
func (r *pgRunner) writeFile(path, text string, appendTo bool) {
	r.t.Helper()
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		r.t.Fatal(err)
	}
	f.Close()
	r.chown(path)
}

// pgNode is one PostgreSQL server of the test.
type pgNode struct {
	r    *pgRunner
	name string
	data string
	port int
	// conninfo is a standby's primary_conninfo.
	conninfo string
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// initPrimary creates and starts a primary that accepts replicas.
// syncStandby names the standby whose flush every commit waits for
// (synchronous replication); "" is asynchronous.
func (r *pgRunner) initPrimary(name, syncStandby string) *pgNode {
	r.t.Helper()
	n := &pgNode{r: r, name: name, data: filepath.Join(r.dir, name), port: freePort(r.t)}
	r.run("initdb", "-D", n.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
wal_level = replica
max_wal_senders = 8
max_replication_slots = 4
hot_standby = on
max_connections = 120
shared_buffers = 32MB
fsync = off
full_page_writes = off
synchronous_standby_names = '%s'
wal_sender_timeout = 5s
wal_receiver_status_interval = 1s
logging_collector = off
`, n.port, r.dir, syncStandby)
	r.writeFile(filepath.Join(n.data, "postgresql.conf"), conf, true)
	n.start()
	return n
}

// standby makes a streaming replica of primary with pg_basebackup -R and
// starts it. Its copy of synchronous_standby_names is cleared (in
// postgresql.auto.conf): promoted, it would otherwise wait for a standby
// that does not exist and every write would hang until requesttimeout.
func (r *pgRunner) standby(primary *pgNode, name string) *pgNode {
	r.t.Helper()
	n := &pgNode{r: r, name: name, data: filepath.Join(r.dir, name), port: freePort(r.t)}
	r.run("pg_basebackup", "-D", n.data, "-R", "-X", "stream", "-c", "fast", "--no-sync",
		"-d", fmt.Sprintf("host=127.0.0.1 port=%d user=postgres application_name=%s", primary.port, name))
	n.conninfo = fmt.Sprintf("host=127.0.0.1 port=%d user=postgres application_name=%s", primary.port, name)
	r.writeFile(filepath.Join(n.data, "postgresql.auto.conf"), fmt.Sprintf(
		"port = %d\nsynchronous_standby_names = ''\nprimary_conninfo = '%s'\n", n.port, n.conninfo), true)
	n.start()
	return n
}

func (n *pgNode) start() {
	n.r.t.Helper()
	n.r.run("pg_ctl", "-D", n.data, "-l", n.data+".log", "-w", "-t", "60", "start")
	n.r.t.Cleanup(func() { n.r.command("pg_ctl", "-D", n.data, "-m", "immediate", "-w", "stop").Run() })
}

// crash stops the server at once, as a power cut would (no checkpoint, no
// goodbye to clients or standbys).
func (n *pgNode) crash() { n.r.run("pg_ctl", "-D", n.data, "-m", "immediate", "-w", "stop") }

// promote turns a standby into a primary and waits until it takes writes.
func (n *pgNode) promote() { n.r.run("pg_ctl", "-D", n.data, "-w", "-t", "30", "promote") }

// setConninfo points a standby's walreceiver at conninfo ("" disconnects
// it: no WAL arrives until it is set again) through db, a connection to
// the standby.
func (n *pgNode) setConninfo(t *testing.T, db *sqlx.DB, conninfo string) {
	t.Helper()
	if _, err := db.Exec("ALTER SYSTEM SET primary_conninfo = '" + strings.ReplaceAll(conninfo, "'", "''") + "'"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("SELECT pg_reload_conf()"); err != nil {
		t.Fatal(err)
	}
}

func (n *pgNode) addr() string { return fmt.Sprintf("127.0.0.1:%d", n.port) }

// dsn is a pgx DSN of the node's postgres database.
func (n *pgNode) dsn() string {
	return "postgres://postgres@" + n.addr() + "/postgres?sslmode=disable"
}

// open connects to the node.
func (n *pgNode) open() *sqlx.DB {
	n.r.t.Helper()
	db, err := sqlx.Open("pgx", n.dsn())
	if err != nil {
		n.r.t.Fatal(err)
	}
	n.r.t.Cleanup(func() { db.Close() })
	return db
}

// waitStreaming waits until primary reports the standby streaming (and,
// when sync, as the synchronous one).
func (n *pgNode) waitStreaming(standby string, sync bool) {
	n.r.t.Helper()
	db := n.open()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var state, syncState string
		err := db.QueryRowContext(context.Background(),
			"SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1", standby).Scan(&state, &syncState)
		if err == nil && state == "streaming" && (!sync || syncState == "sync") {
			return
		}
		if time.Now().After(deadline) {
			n.r.t.Fatalf("standby %s not streaming within 30 s (state %q, sync %q, err %v)", standby, state, syncState, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
