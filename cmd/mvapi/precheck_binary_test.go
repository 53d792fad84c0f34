package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBinaryBadFlagOrPortInUseCreatesNoFile: serve with a bad --set value,
// with a --listen port in use, and with the default port (mainaport) in use
// for a new SQLite file fails and leaves no database file behind.
func TestBinaryBadFlagOrPortInUseCreatesNoFile(t *testing.T) {
	bin := buildBinary(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	for name, args := range map[string][]string{
		"bad option value": {"--listen", "127.0.0.1:0", "--set", "sqltimeout=abc"},
		"listen in use":    {"--listen", busy.Addr().String()},
		"mainaport in use": {"--set", "mainaport=" + port},
		"bad address":      {"--listen", "nonsense"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "mvapi.db")
			cmd := exec.Command(bin, append([]string{"serve", "--db", "sqlite:" + db}, args...)...)
			cmd.Dir = dir
			done := make(chan struct{})
			var out []byte
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("serve %v still running after 20 s", args)
			}
			if err == nil {
				t.Fatalf("serve %v exited 0: %s", args, out)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Fatalf("serve %v left %v behind; output %s", args, entries, out)
			}
			t.Logf("serve %v: %s", args, strings.TrimSpace(string(out)))
		})
	}
}

// TestBinaryDemoPrintsKeyAndAdminPasswordOnce: --demo labels the API key
// and the admin password, once each.
func TestBinaryDemoPrintsKeyAndAdminPasswordOnce(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve", "--demo", "--db", "sqlite:"+filepath.Join(dir, "demo.db"), "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	counts := map[string]int{}
	timeout := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			for _, label := range []string{"KEY (authkey, apiv2key): ", "Admin password: "} {
				if strings.HasPrefix(l, label) && len(l) > len(label) {
					counts[label]++
				}
			}
			if strings.Contains(l, "apientry=apireload") {
				done = true
			}
		case <-timeout:
			t.Fatal("no examples in 30 s")
		}
	}
	for _, label := range []string{"KEY (authkey, apiv2key): ", "Admin password: "} {
		if counts[label] != 1 {
			t.Errorf("%q printed %d times, want once", label, counts[label])
		}
	}
}
