package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mvapi/actions/actionstest"
)

// TestBinaryActions runs the real binary (built once) through a SIGKILL
// with messages in the outbox and through both restart modes.
func TestBinaryActions(t *testing.T) {
	bin := buildBinary(t)
	t.Run("kill9", func(t *testing.T) { kill9LosesNoMessage(t, bin) })
	t.Run("restart-exit", func(t *testing.T) { restartExitsForSupervisor(t, bin) })
	t.Run("restart-reexec", func(t *testing.T) { restartReexecs(t, bin) })
}

// kill9LosesNoMessage: with the SMTP server down the binary accepts emails
// (the asendemail entry and an email custom_action), is killed with SIGKILL
// while they wait in the outbox, starts again with the SMTP server up and
// delivers every message exactly once.
func kill9LosesNoMessage(t *testing.T, bin string) {
	smtp := actionstest.NewSMTP(t) // reserved, not listening yet: "down"
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "kill9.db")
	addr := freeAddr(t)
	args := []string{"--db", dsn,
		"--set", "smtphost=127.0.0.1", "--set", "smtpport=" + smtp.Port, "--set", "smtptls=none",
		"--set", "smtpfrom=mvapi@example.com", "--set", "adminemail=admin@example.com", "--set", "smtptimeout=1",
		"--set", "outboxpollms=50", "--set", "outboxbackoffms=50", "--set", "outboxbackoffmaxms=300",
		"--set", "outboxmaxattempts=1000"}
	p := startProc(t, bin, addr, args...)
	db := openDB(t, dsn)
	if _, err := db.Exec(`INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body)
		VALUES ('notify', 'SELECT ''noted''', 1, '***SUBJECT=notify {sparam1}' || char(10) || 'action mail {sparam1}')`); err != nil {
		t.Fatal(err)
	}
	if body := p.get("apientry=apireload"); !strings.HasPrefix(body, "OK:") {
		t.Fatal(body)
	}
	const n = 20
	for i := range n {
		q := url.Values{"apientry": {"asendemail"}, "to": {fmt.Sprintf("user%d@example.com", i)},
			"subject": {fmt.Sprint("entry ", i)}, "message": {"hello"}}
		if body := p.get(q.Encode()); !strings.HasPrefix(body, "OK: email queued") {
			t.Fatal(body)
		}
		if body := p.get(fmt.Sprintf("apientry=notify&sparam1=%d", i)); body != "OK: noted" {
			t.Fatal(body)
		}
	}
	// Every message is stored and has failed at least once.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var stored, tried int
		db.Get(&stored, "SELECT COUNT(*) FROM tb_outbox WHERE status = 'pending'")
		db.Get(&tried, "SELECT COUNT(*) FROM tb_outbox WHERE attempts > 0 AND last_error <> ''")
		if stored == 2*n && tried == 2*n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pending, %d tried; log:\n%s", stored, tried, p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown code runs
		t.Fatal(err)
	}
	p.wait(10 * time.Second)

	smtp.Start(t)
	start := time.Now()
	p = startProc(t, bin, addr, args...)
	mails := smtp.WaitMails(t, 2*n, 20*time.Second)
	t.Logf("%d messages delivered %v after the restart", len(mails), time.Since(start).Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	var keys []string
	if err := db.Select(&keys, "SELECT idemkey FROM tb_outbox WHERE status = 'sent'"); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2*n || len(smtp.Mails()) != 2*n || smtp.Duplicates() != 0 {
		t.Fatalf("%d sent rows, %d mails, %d duplicates", len(keys), len(smtp.Mails()), smtp.Duplicates())
	}
	for _, k := range keys {
		if c := smtp.Count("mvapi." + k + "@example.com"); c != 1 {
			t.Fatalf("message %s delivered %d times", k, c)
		}
	}
	subjects := map[string]bool{}
	for _, m := range mails {
		subjects[m.Subject] = true
	}
	for i := range n {
		if !subjects[fmt.Sprint("entry ", i)] || !subjects[fmt.Sprint("notify ", i)] {
			t.Fatalf("message %d missing: %v", i, subjects)
		}
	}
	p.cmd.Process.Signal(sigterm)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM; log:\n%s", code, p.log)
	}
}
