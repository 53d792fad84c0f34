package main

import (
	"bufio"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinaryDemoExamplesAndSIGTERM runs the real binary as `make run` does:
// every example URL it prints answers OK, and SIGTERM stops it cleanly.
func TestBinaryDemoExamplesAndSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve", "--demo", "--db", "sqlite:"+filepath.Join(dir, "demo.db"), "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	urls := make(chan string)
	go func() {
		defer close(urls)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.TrimSpace(sc.Text()); strings.HasPrefix(f, "http://") {
				urls <- f
			}
		}
	}()
	var got []string
	timeout := time.After(30 * time.Second)
collect:
	for {
		select {
		case u, ok := <-urls:
			if !ok {
				break collect
			}
			got = append(got, u)
			if strings.Contains(u, "apientry=apireload") {
				break collect
			}
		case <-timeout:
			t.Fatalf("no examples printed in 30s; got %v", got)
		}
	}
	checkExamples(t, got, 8)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("still running 25s after SIGTERM")
	}
}
