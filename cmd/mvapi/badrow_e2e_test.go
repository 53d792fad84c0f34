package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBinaryRestartWithABadRow: the real binary restarted with a row in
// tb_api that apireload refused serves every other row; the bad entry
// answers that it is not available, the log says why and apistatus lists
// it. With strictstart=1 the same server refuses to start, naming the row.
func TestBinaryRestartWithABadRow(t *testing.T) {
	bin := buildBinary(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "badrow.db")
	addr := freeAddr(t)
	p := startProc(t, bin, addr, "--db", dsn)
	db := openDB(t, dsn)
	if _, err := db.Exec(`INSERT INTO tb_api (fname, customsql) VALUES ('good', 'SELECT ''fine'''), ('typo', 'SELEC * FROM nowhere')`); err != nil {
		t.Fatal(err)
	}
	if body := p.get("apientry=apireload"); !strings.HasPrefix(body, "ERROR: apireload failed, old table kept: 1 bad row(s)") || !strings.Contains(body, `fname="typo"`) {
		t.Fatalf("apireload: %q", body)
	}
	if err := p.cmd.Process.Signal(sigterm); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}

	p = startProc(t, bin, addr, "--db", dsn)
	for query, want := range map[string]string{
		"apientry=good":       "OK: fine",
		"apientry=typo":       "ERROR: apientry typo is not available (misconfigured)",
		"apientry=balance":    "ERROR: ", // a built-in: it serves (and wants a user)
		"apientry=apistatus":  "OK: 1 misconfigured, 0 with async failures",
		"apientry=apitest1":   "OK: ",
		"apientry=nosuchname": "ERROR: unknown apientry",
	} {
		if body := p.get(query); !strings.HasPrefix(body, want) {
			t.Errorf("%s answered %q, want %q", query, body, want)
		}
	}
	if body := p.get("apientry=balance"); strings.Contains(body, "misconfigured") {
		t.Errorf("balance answered %q", body)
	}
	if log := p.log.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "name=typo") || !strings.Contains(log, "SELEC") {
		t.Errorf("the bad row is not logged as an error:\n%s", log)
	}
	if err := p.cmd.Process.Signal(sigterm); err != nil {
		t.Fatal(err)
	}
	p.wait(30 * time.Second)

	cmd := exec.Command(bin, "serve", "--listen", addr, "--db", dsn, "--set", "strictstart=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("strictstart=1 with a bad row still running after 30s")
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), `fname="typo"`) {
		t.Fatalf("strictstart=1: exit %d, stderr %q", code, stderr.String())
	}
}

// TestBinaryCheckMissingFile: the real binary's check on a mistyped SQLite
// path exits 1, says the file does not exist and creates nothing.
func TestBinaryCheckMissingFile(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "check", "--db", "sqlite:typo.db")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "typo.db") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("check left %v behind", entries)
	}
}
