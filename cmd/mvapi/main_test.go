package main

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// testServer is the real Main serving on a free loopback port with a
// temporary SQLite database.
type testServer struct {
	t    *testing.T
	m    *Main
	base string
	key  string
}

// strictSets makes loopback untrusted (so every check runs as for a remote
// client) and puts the API code in the HTTP status.
var strictSets = map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1"}

func startServer(t *testing.T, dsn string, sets map[string]string) *testServer {
	t.Helper()
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(t.TempDir(), "mvapi.db")
	}
	m := &Main{DSN: dsn, Listen: "127.0.0.1:0", Sets: sets, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testServer{t: t, m: m, base: m.URL(), key: m.Engine.Config().APIKey}
}

// get sends GET /mvapireq/?<kv pairs> and returns the HTTP status and body.
func (s *testServer) get(kv ...string) (int, string) {
	s.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return s.getRaw("/mvapireq/?" + v.Encode())
}

func (s *testServer) getRaw(pathAndQuery string) (int, string) {
	s.t.Helper()
	resp, err := http.Get(s.base + pathAndQuery)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (s *testServer) post(contentType, body string) (int, string) {
	s.t.Helper()
	resp, err := http.Post(s.base+"/mvapireq/", contentType, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *testServer) user(name, pwd string, typ int, credit float64) int64 {
	return mvtest.MustUser(s.t, s.m.DB, engine.NewUser{Username: name, Password: pwd, Type: typ, Credit: credit, Currency: "USD"})
}

func (s *testServer) exec(q string, args ...any) { mvtest.MustExec(s.t, s.m.DB, q, args...) }

// md5Auth returns the auth parameters of the simplified formula, with a
// fresh salt per call as a client must send (replayprotect refuses a
// repeated admin hash).
func (s *testServer) md5Auth(user, pwd string) []string {
	salt := strconv.Itoa(1000 + rand.IntN(9000000))
	return []string{"authkey", s.key, "authid", user, "authsalt1", salt,
		"authmd5", engine.AuthMD5(user, pwd, s.m.Engine.Config().MD5Salt, salt)}
}

func (s *testServer) apireload(admin, pwd string) string {
	s.t.Helper()
	_, body := s.get(append([]string{"apientry", "apireload"}, s.md5Auth(admin, pwd)...)...)
	return body
}

func wantPrefix(t *testing.T, got, prefix string) {
	t.Helper()
	if !strings.HasPrefix(got, prefix) {
		t.Fatalf("answer %q, want prefix %q", got, prefix)
	}
}
