package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"mvapi/engine"
)

// TestBinarySIGHUPReloads runs the real binary: SIGHUP reloads the config
// and the rule table (a tb_api row added behind its back answers, a
// tb_globalconfig change is in force), the process keeps serving, and the
// reload is in the audit trail; logformat=json makes JSON lines.
func TestBinarySIGHUPReloads(t *testing.T) {
	bin := buildBinary(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hup.db")
	p := startProc(t, bin, freeAddr(t), "--db", dsn, "--set", "logformat=json")
	db := openDB(t, dsn)
	if _, err := db.Exec(`INSERT INTO tb_api (fname, req_key, req_user, customsql) VALUES ('hupentry', 0, 14, 'SELECT ''after hup''')`); err != nil {
		t.Fatal(err)
	}
	if body := p.get("apientry=hupentry"); !strings.Contains(body, "unknown apientry") {
		t.Fatalf("before SIGHUP: %q", body)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(p.get("apientry=hupentry"), "after hup") })
	if body := p.get("apientry=apitest1"); !strings.HasPrefix(body, "OK") {
		t.Fatalf("after SIGHUP: %q", body)
	}
	var outcome string
	waitFor(t, 10*time.Second, func() bool {
		return db.QueryRow("SELECT outcome FROM tb_auditlog WHERE entry = 'reload' AND detail LIKE 'SIGHUP%'").Scan(&outcome) == nil
	})
	if outcome != "ok" {
		t.Fatalf("audit outcome %q", outcome)
	}
	// A second SIGHUP with a bad row: refused, old table kept, still up.
	if _, err := db.Exec(`INSERT INTO tb_api (fname, custom_action) VALUES ('brokenhup', 99)`); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(p.log.String(), "SIGHUP: reload failed") })
	if body := p.get("apientry=hupentry"); !strings.Contains(body, "after hup") {
		t.Fatalf("after a refused SIGHUP reload: %q", body)
	}
	if !strings.Contains(p.log.String(), `{"time":`) {
		t.Fatalf("logformat=json: no JSON lines:\n%s", p.log)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

func fetchOpenAPI(t *testing.T, s *testServer, query string) (*openapi3.T, string) {
	t.Helper()
	resp, err := http.Get(s.base + "/mvapireq/openapi.json" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json does not validate: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	return doc, string(b)
}

func entryOp(doc *openapi3.T, name string) *openapi3.Operation {
	if pi := doc.Paths.Value("/mvapireq/?apientry=" + name); pi != nil {
		return pi.Get
	}
	return nil
}

// TestOpenAPIDocument: /mvapireq/openapi.json validates (kin-openapi),
// lists a customsql row added by apireload with its [SPARAMn] and {field}
// parameters, and lists admin entries only for admins.
func TestOpenAPIDocument(t *testing.T) {
	s := startServer(t, "", strictSets)
	s.user("root", "rootpass1", engine.TypeAdmin, 0)
	doc, _ := fetchOpenAPI(t, s, "")
	if entryOp(doc, "balance") == nil || entryOp(doc, "apitest1") == nil {
		t.Fatal("public document lacks balance or apitest1")
	}
	for _, admin := range []string{"db", "apireload", "setini", "showcfg"} {
		if entryOp(doc, admin) != nil {
			t.Fatalf("public document lists the admin entry %s", admin)
		}
	}
	if op := entryOp(doc, "balance"); op.Security == nil || len(*op.Security) != 2 {
		t.Fatalf("balance security %+v", op.Security)
	}

	s.exec(`INSERT INTO tb_api (fname, req_key, req_user, customsql, description) VALUES ('mycalls', 1, 12,
 'SELECT username FROM tb_users WHERE id = [USERID] AND username LIKE [SPARAM1] AND credit > {mincredit}', 'My calls')`)
	wantPrefix(t, s.apireload("root", "rootpass1"), "OK: apireload")
	doc, _ = fetchOpenAPI(t, s, "")
	op := entryOp(doc, "mycalls")
	if op == nil {
		t.Fatal("mycalls (added by apireload) not listed")
	}
	var names []string
	for _, p := range op.Parameters {
		names = append(names, p.Value.Name)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "sparam1") || !strings.Contains(got, "mincredit") {
		t.Fatalf("mycalls parameters %q", got)
	}

	// A wrong admin password gets the public document.
	doc, _ = fetchOpenAPI(t, s, "?authkey="+s.key+"&authid=root&authpwd=wrong")
	if entryOp(doc, "db") != nil {
		t.Fatal("wrong admin password: admin entries listed")
	}
	q := "?authkey=" + s.key + "&authid=root&authpwd=rootpass1"
	doc, _ = fetchOpenAPI(t, s, q)
	for _, admin := range []string{"db", "apireload", "mycalls"} {
		if entryOp(doc, admin) == nil {
			t.Fatalf("admin document lacks %s", admin)
		}
	}
}
