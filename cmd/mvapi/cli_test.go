package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"mvapi/internal/mvtest"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCommand(&out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String() + errOut.String(), err
}

func TestCLIUserAddCheckExamplesMigrate(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "cli.db")
	out, err := runCLI(t, "migrate", "--db", dsn)
	if err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("migrate: %v %q", err, out)
	}
	out, err = runCLI(t, "migrate", "--db", dsn, "--status")
	if err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("migrate --status: %v %q", err, out)
	}
	out, err = runCLI(t, "user", "add", "--db", dsn, "--username", "nina", "--password", "secret15", "--credit", "2")
	if err != nil || !strings.Contains(out, "user nina added") {
		t.Fatalf("user add: %v %q", err, out)
	}
	if _, err = runCLI(t, "user", "add", "--db", dsn, "--username", "nina", "--password", "secret15"); err == nil {
		t.Fatal("duplicate user add succeeded")
	}
	if _, err = runCLI(t, "user", "add", "--db", dsn, "--username", "boss", "--password", "secret16", "--type", "emperor"); err == nil {
		t.Fatal("unknown type accepted")
	}
	out, err = runCLI(t, "user", "add", "--db", dsn, "--username", "boss", "--password", "secret16", "--type", "admin")
	if err != nil {
		t.Fatalf("admin add: %v %q", err, out)
	}
	out, err = runCLI(t, "check", "--db", dsn)
	if err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("check on a good table: %v %q", err, out)
	}

	// Every printed example answers OK against the real server.
	s := startServer(t, dsn, map[string]string{"allowtrustedip": "0"})
	out, err = runCLI(t, "examples", "--db", dsn, "--server", s.base)
	if err != nil {
		t.Fatal(err)
	}
	checkExamples(t, exampleURLs(workingExamples(out, false)), 7)

	db := mvtest.MustOpen(t, dsn)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('x1', 'SELECT ''oops')")
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, req_user) VALUES ('x2', 99)")
	out, err = runCLI(t, "check", "--db", dsn)
	if err == nil {
		t.Fatalf("check passed a bad table: %q", out)
	}
	for _, want := range []string{`fname="x1": customsql`, `fname="x2": access: req_user 99`} {
		if !strings.Contains(out, want) {
			t.Errorf("check output %q lacks %q", out, want)
		}
	}
}

func TestServeRejectsUnknownSet(t *testing.T) {
	_, err := runCLI(t, "serve", "--db", "sqlite:"+filepath.Join(t.TempDir(), "x.db"), "--set", "nosuchoption=1")
	if err == nil || !strings.Contains(err.Error(), "unknown option") {
		t.Fatalf("err = %v", err)
	}
}

func TestDemoPrintsWorkingExamples(t *testing.T) {
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "demo.db"), Listen: "127.0.0.1:0", Demo: true}
	var out bytes.Buffer
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if err := printExamples(context.Background(), &out, m.DB, m.Engine.Config(), m.URL()); err != nil {
		t.Fatal(err)
	}
	checkExamples(t, exampleURLs(workingExamples(out.String(), true)), 17)
	// One example for every example request of the reference.
	for _, entry := range []string{"apitest1", "balance", "callback", "p2p", "sms", "rating", "charge", "addcredit", "newuseru", "newuseri", "cdr", "db"} {
		if !strings.Contains(out.String(), "apientry="+entry+"&") && !strings.Contains(out.String(), "apientry="+entry+"\n") {
			t.Errorf("no example of %s", entry)
		}
	}
	for _, form := range []string{"apientry=balance&authid=1111\n", "authpwd=", "authmd5="} {
		if !strings.Contains(out.String(), form) {
			t.Errorf("no balance example with %q", form)
		}
	}
}

func exampleURLs(out string) []string {
	var urls []string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "http://") {
			urls = append(urls, f)
		}
	}
	return urls
}

// checkExamples asserts there are at least min example URLs and that each
// answers a success shape (OK, a credit, a rate) without ERROR.
func checkExamples(t *testing.T, urls []string, min int) {
	t.Helper()
	if len(urls) < min {
		t.Fatalf("%d example URLs, want at least %d: %v", len(urls), min, urls)
	}
	for _, u := range urls {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if b := string(body); strings.Contains(b, "ERROR") ||
			!(strings.Contains(b, "OK") || strings.HasPrefix(b, "Your credit") || strings.Contains(b, "Destination:")) {
			t.Errorf("%s answered %q", u, b)
		}
	}
}
