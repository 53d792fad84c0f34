package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"mvapi/engine"
	"mvapi/internal/logging"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestAccessLogAndRequestIDInLogLines: accesslog=1 logs one line per
// request with entry, user, ip, kind, duration, bytes and the request id
// the client sent, never a secret; logformat=json makes JSON lines; every
// http.Server logs through slog.
func TestAccessLogAndRequestIDInLogLines(t *testing.T) {
	var out syncBuffer
	sw := logging.New(&out)
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "mvapi.db"), Listen: "127.0.0.1:0", Log: slog.New(sw),
		Sets: map[string]string{"allowtrustedip": "0", "accesslog": "1", "logformat": "json", "loglevel": "debug"}}
	m.ops.LogSwitch = sw
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if sw.Format() != "json" || sw.Level() != slog.LevelDebug {
		t.Fatalf("log settings not applied: %s %v", sw.Format(), sw.Level())
	}
	if m.server.ErrorLog == nil {
		t.Fatal("the API http.Server logs to the standard logger")
	}
	s := &testServer{t: t, m: m, base: m.URL(), key: m.Engine.Config().APIKey}
	s.user("xena", "xenapass", engine.TypeEndUser, 2)
	v := url.Values{"apientry": {"balance"}, "authkey": {s.key}, "authid": {"xena"}, "authpwd": {"Wr0ngSecret"}}
	req, _ := http.NewRequest("GET", s.base+"/mvapireq/?"+v.Encode(), nil)
	req.Header.Set("X-Request-Id", "rid-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, `"msg":"access"`) {
			line = l
		}
	}
	for _, want := range []string{`"entry":"balance"`, `"user":""`, `"ip":"127.0.0.1"`, `"kind":"auth"`, `"request":"rid-42"`, `"bytes":`, `"ms":`} {
		if !strings.Contains(line, want) {
			t.Errorf("access line lacks %s: %s", want, line)
		}
	}
	if strings.Contains(out.String(), "Wr0ngSecret") || strings.Contains(out.String(), s.key) {
		t.Fatalf("secret in the log:\n%s", out.String())
	}
}
