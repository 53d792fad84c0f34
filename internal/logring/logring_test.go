package logring_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"mvapi/internal/logring"
)

func TestRingKeepsTheNewestLinesInOrder(t *testing.T) {
	r := logring.NewRing(3)
	for i := 1; i <= 5; i++ {
		r.Add(fmt.Sprintf("line %d", i))
	}
	if got := strings.Join(r.Recent(10), ","); got != "line 3,line 4,line 5" {
		t.Fatalf("recent %q", got)
	}
	if got := strings.Join(r.Recent(2), ","); got != "line 4,line 5" {
		t.Fatalf("recent 2 %q", got)
	}
	if r.Total() != 5 || r.Cap() != 3 {
		t.Fatalf("total %d cap %d", r.Total(), r.Cap())
	}
	if got := r.Recent(0); len(got) != 0 {
		t.Fatalf("recent 0 %q", got)
	}
	r.Add(strings.Repeat("x", 5000))
	if l := r.Recent(1)[0]; len(l) > 2100 || !strings.HasSuffix(l, "...(cut)") {
		t.Fatalf("long line kept as %d bytes", len(l))
	}
}

func TestSearchIsCaseInsensitiveNewestLast(t *testing.T) {
	r := logring.NewRing(10)
	for _, l := range []string{"DB failed", "ok", "db failed again", "other"} {
		r.Add(l)
	}
	if got := strings.Join(r.Search("Db Failed", 10), "|"); got != "DB failed|db failed again" {
		t.Fatalf("search %q", got)
	}
	if got := strings.Join(r.Search("failed", 1), "|"); got != "db failed again" {
		t.Fatalf("search 1 %q", got)
	}
}

// TestHandlerPassesOnAndCopies: the wrapped handler gets every record with
// its level filter; the ring gets the same lines.
func TestHandlerPassesOnAndCopies(t *testing.T) {
	var out bytes.Buffer
	h := logring.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}), 10)
	log := slog.New(h).With("node", "n1").WithGroup("req")
	log.Debug("hidden")
	log.Info("served", "entry", "balance")
	if strings.Contains(out.String(), "hidden") || len(h.Recent(10)) != 1 {
		t.Fatalf("debug passed the level: out %q ring %q", out.String(), h.Recent(10))
	}
	line := h.Recent(1)[0]
	for _, want := range []string{"msg=served", "node=n1", "req.entry=balance"} {
		if !strings.Contains(line, want) || !strings.Contains(out.String(), want) {
			t.Errorf("line %q / out %q lacks %q", line, out.String(), want)
		}
	}
}

// TestSecretsAreMaskedInTheLogAndTheRing: attributes named like secrets,
// secret pairs inside text, in groups and in With attributes never reach
// either output.
func TestSecretsAreMaskedInTheLogAndTheRing(t *testing.T) {
	var out bytes.Buffer
	h := logring.New(slog.NewTextHandler(&out, nil), 10)
	log := slog.New(h).With("apiv2key", "K3y-Value")
	log.Info("request /mvapireq/?apientry=balance&authid=ann&authpwd=S3cret-1&authmd5=abcdef0123",
		"password", "S3cret-2", "url", "x?u_password=S3cret-3&b=1",
		slog.Group("auth", "token", "S3cret-4", "user", "ann"), "smtppassword", "S3cret-5")
	all := out.String() + strings.Join(h.Recent(10), "\n")
	for _, secret := range []string{"K3y-Value", "S3cret-1", "abcdef0123", "S3cret-2", "S3cret-3", "S3cret-4", "S3cret-5"} {
		if strings.Contains(all, secret) {
			t.Errorf("%s leaked: %s", secret, all)
		}
	}
	for _, kept := range []string{"authid=ann", "auth.user=ann", "b=1", "apientry=balance"} {
		if !strings.Contains(all, kept) {
			t.Errorf("%s was lost: %s", kept, all)
		}
	}
	if !logring.IsSecretKey("authPwd") || logring.IsSecretKey("entry") {
		t.Fatal("IsSecretKey")
	}
}

// TestConcurrentWriters: many goroutines log at once (go test -race).
func TestConcurrentWriters(t *testing.T) {
	h := logring.New(slog.NewTextHandler(&bytes.Buffer{}, nil), 50)
	log := slog.New(h)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				log.Info("tick", "g", g, "i", i)
				h.Recent(5)
			}
		}()
	}
	wg.Wait()
	if h.Ring().Total() != 800 || len(h.Recent(100)) != 50 {
		t.Fatalf("total %d kept %d", h.Ring().Total(), len(h.Recent(100)))
	}
	for _, l := range h.Recent(50) {
		if !strings.Contains(l, "msg=tick") || strings.Count(l, "msg=") != 1 {
			t.Fatalf("mixed line %q", l)
		}
	}
}
