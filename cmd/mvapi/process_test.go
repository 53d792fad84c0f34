package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/schema"
)

// The real binary, built once per test run (TestMain removes it).
var (
	binaryOnce sync.Once
	binaryDir  string
	binaryPath string
	binaryErr  error
)

// buildBinary returns the real mvapi binary, building it on first use.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped with -short: builds the binary")
	}
	binaryOnce.Do(func() {
		if binaryDir, binaryErr = os.MkdirTemp("", "mvapi-bin-"); binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "mvapi")
		if out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is the real binary serving on a fixed address.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	log  *lockedLog
	done chan error
}

// startProc runs "mvapi serve" with args and waits until it answers.
func startProc(t *testing.T, bin, addr string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: addr, log: &lockedLog{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"serve", "--listen", addr}, args...)...)
	p.cmd.Stdout = io.Discard
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.log.add(sc.Text())
		}
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	p.waitUp(20 * time.Second)
	return p
}

// waitUp waits until the server answers apitest1.
func (p *proc) waitUp(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if body, err := p.tryGet("apientry=apitest1"); err == nil && strings.HasPrefix(body, "OK:") {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("server on %s not up after %v; log:\n%s", p.addr, timeout, p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) tryGet(query string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+"/mvapireq/?"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// get sends a request from loopback (a trusted admin by default).
func (p *proc) get(query string) string {
	p.t.Helper()
	body, err := p.tryGet(query)
	if err != nil {
		p.t.Fatalf("%s: %v", query, err)
	}
	return body
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("still running after %v; log:\n%s", timeout, p.log)
		return -1
	}
}

// openDB opens the server's database beside the running process.
func openDB(t *testing.T, dsn string) *schema.DB {
	t.Helper()
	db, err := schema.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// lockedLog collects the lines a process writes to stderr.
type lockedLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lockedLog) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
