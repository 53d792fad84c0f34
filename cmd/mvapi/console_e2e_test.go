package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// startConsoleServer runs the real Main with the admin console on a free
// loopback port.
func startConsoleServer(t *testing.T, sets map[string]string) *Main {
	t.Helper()
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "console.db"), Listen: "127.0.0.1:0",
		ConsoleListen: "127.0.0.1:0", Sets: sets, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	for _, u := range []engine.NewUser{
		{Username: "root", Password: "rootpass1", Type: engine.TypeAdmin},
		{Username: "helpdesk", Password: "helppass1", Type: engine.TypeSupport},
		{Username: "joe", Password: "joepass12", Credit: 3},
	} {
		mvtest.MustUser(t, m.DB, u)
	}
	mvtest.MustExec(t, m.DB, "INSERT INTO tb_rates (prefix, destination, price, currency) VALUES ('44', 'United Kingdom', 0.02, 'GBP')")
	return m
}

type consoleClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialConsole(t *testing.T, m *Main) *consoleClient {
	t.Helper()
	conn, err := net.Dial("tcp", m.ConsoleAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &consoleClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// send writes a line and returns the answer up to the EOF line ("" and
// io.EOF when the server closed the connection).
func (c *consoleClient) send(line string) (string, error) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		return "", err
	}
	return c.answer()
}

func (c *consoleClient) answer() (string, error) {
	var lines []string
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return strings.Join(lines, "\n"), err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "EOF" {
			return strings.Join(lines, "\n"), nil
		}
		lines = append(lines, l)
	}
}

func (c *consoleClient) must(line, wantPrefix string) string {
	c.t.Helper()
	got, err := c.send(line)
	if err != nil {
		c.t.Fatalf("%s: %v", line, err)
	}
	if !strings.HasPrefix(got, wantPrefix) {
		c.t.Fatalf("%s: answered %q, want prefix %q", line, got, wantPrefix)
	}
	return got
}

func TestConsoleLoginAndCommands(t *testing.T) {
	m := startConsoleServer(t, nil)
	c := dialConsole(t, m)
	c.must("version", "ERROR: not logged in")
	c.must("login root wrongpass", "ERROR: login failed")
	c.must("login joe joepass12", "ERROR: login failed") // an enduser may not log in
	c.must("login root rootpass1", "OK: logged in as root")
	c.must("version", "OK: mvapi")
	c.must("apientry=apitest1&txt=hi", "OK: hi (127.0.0.1)")
	c.must("/mvapireq/?apientry=balance&targetuser=joe", "Your credit is $3")
	c.must("rating 4420 targetuser=joe", "0.02 GBP, Destination: United Kingdom")
	if help := c.must("help", "OK: "); !strings.Contains(help, "apireload,") || !strings.Contains(help, "rating,bnum") {
		t.Fatalf("help lacks entries: %q", help)
	}
	c.must("apireload", "OK: apireload:")
	c.must("keepalive", "OK: keepalive")
	c.must("quit", "OK: bye")
	if _, err := c.r.ReadString('\n'); err != io.EOF {
		t.Fatalf("connection still open after quit: %v", err)
	}
}

func TestConsoleSupportUserHasSupportRights(t *testing.T) {
	m := startConsoleServer(t, nil)
	c := dialConsole(t, m)
	c.must("login helpdesk helppass1", "OK: logged in as helpdesk")
	c.must("help", "OK: ")
	c.must("apireload", "ERROR: access denied")
}

func TestConsoleClosesAfterThreeBadLogins(t *testing.T) {
	m := startConsoleServer(t, nil)
	c := dialConsole(t, m)
	for range 3 {
		c.must("login root nope", "ERROR: login failed")
	}
	if _, err := c.send("login root rootpass1"); err == nil {
		if _, err = c.r.ReadString('\n'); err != io.EOF {
			t.Fatal("connection open after 3 failed logins")
		}
	}
}

func TestConsoleRemoteAdminRefusal(t *testing.T) {
	m := startConsoleServer(t, map[string]string{"remoteadmin": "0"})
	c := dialConsole(t, m)
	got, _ := c.answer()
	if !strings.HasPrefix(got, "ERROR: remote administration is not allowed from 127.0.0.1") {
		t.Fatalf("remoteadmin=0 answered %q", got)
	}
	if _, err := c.r.ReadString('\n'); err != io.EOF {
		t.Fatal("refused connection left open")
	}
	m1 := startConsoleServer(t, map[string]string{"remoteadmin": "1"})
	dialConsole(t, m1).must("login root rootpass1", "OK: logged in")
}

func TestConsoleIdleTimeoutAndLineLimit(t *testing.T) {
	m := startConsoleServer(t, map[string]string{"consoleidle": "1"})
	c := dialConsole(t, m)
	c.must("login root rootpass1", "OK: logged in")
	start := time.Now()
	if _, err := c.r.ReadString('\n'); err != io.EOF {
		t.Fatalf("idle connection not closed: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("closed after %v", d)
	}
	c2 := dialConsole(t, m)
	got, _ := c2.send(strings.Repeat("x", 9000))
	if !strings.HasPrefix(got, "ERROR: line longer than") {
		t.Fatalf("long line answered %q", got)
	}
}

func TestConsoleLoginsCountTowardsTheLockout(t *testing.T) {
	m := startConsoleServer(t, map[string]string{"allowtrustedip": "0", "authlockoutfailures": "3"})
	for range 3 {
		c := dialConsole(t, m)
		c.must("login root nope", "ERROR: login failed")
	}
	c := dialConsole(t, m)
	c.must("login root rootpass1", "ERROR: login refused: auth locked")
}
