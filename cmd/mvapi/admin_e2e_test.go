package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// adminSets are strictSets with the file folders in dir and no lockout
// (refusals count as failed logins).
func adminSets(dir string) map[string]string {
	sets := map[string]string{"serverdir": filepath.Join(dir, "files"), "filestoragedir": filepath.Join(dir, "storage"),
		"backupdir": filepath.Join(dir, "backup"), "authlockoutfailures": "0"}
	for k, v := range strictSets {
		sets[k] = v
	}
	return sets
}

// TestAdminLogOverHTTP: the real Main keeps its log lines in memory
// (logring wired in Open); showlog and logsearch answer them over HTTP,
// and no password sent in a request reaches them.
func TestAdminLogOverHTTP(t *testing.T) { mvtest.ForEachDB(t, testAdminLogOverHTTP) }

func testAdminLogOverHTTP(t *testing.T, dsn string) {
	s := startServer(t, dsn, adminSets(t.TempDir()))
	s.user("root", "Root-Pw-4242", engine.TypeAdmin, 0)
	admin := func() []string { return s.md5Auth("root", "Root-Pw-4242") } // a fresh salt per request
	_, body := s.get(append([]string{"apientry", "logsearch", "txt", "mvapi serving", "format", "cleartext"}, admin()...)...)
	if !strings.HasPrefix(body, "OK: 1 lines") || !strings.Contains(body, "msg=\"mvapi serving\"") {
		t.Fatalf("logsearch over HTTP: %q", body)
	}
	s.get("apientry", "balance", "authkey", s.key, "authid", "root", "authpwd", "Wrong-Pw-Secret-1")
	_, body = s.get(append([]string{"apientry", "db", "txt", "UPDATE tb_users SET password = 'Zz-Secret-77' WHERE username = 'nobody'"}, admin()...)...)
	wantPrefix(t, body, "OK: 0 rows affected")
	_, body = s.get(append([]string{"apientry", "showlog", "lines", "1000", "format", "cleartext"}, admin()...)...)
	wantPrefix(t, body, "OK: ")
	for _, secret := range []string{"Zz-Secret-77", "Wrong-Pw-Secret-1", "Root-Pw-4242", s.key} {
		if strings.Contains(body, secret) {
			t.Fatalf("%s is in the log:\n%s", secret, body)
		}
	}
	if !strings.Contains(body, "db statement") {
		t.Fatalf("the db entry was not logged:\n%s", body)
	}
}

// TestFileEntriesOverHTTP: names that leave the folder are refused however
// they are encoded on the wire (percent-encoded once or twice, in a form
// or JSON body); an ordinary name round-trips.
func TestFileEntriesOverHTTP(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, "", adminSets(dir))
	s.user("root", "Root-Pw-4242", engine.TypeAdmin, 0)
	auth := "&authkey=" + s.key + "&authid=root&authpwd=Root-Pw-4242"
	data := base64.StdEncoding.EncodeToString([]byte("pwned"))
	for _, q := range []string{
		"filename=%2e%2e%2fx.txt", "filename=%252e%252e%252fx.txt", "filename=..%5Cx.txt", "filename=%2Fetc%2Fx.txt",
		"filename=..%2F..%2Fx.txt", "filename=a%2F..%2F..%2Fx.txt", "filename=%2e%2e%2f%2e%2e%2fstorage%2Fx.txt",
	} {
		for _, entry := range []string{"putfile", "pputfile"} {
			_, body := s.getRaw("/mvapireq/?apientry=" + entry + "&" + q + "&filedata=" + data + auth)
			wantPrefix(t, body, "ERROR: bad filename")
		}
	}
	_, body := s.post("application/x-www-form-urlencoded", "apientry=putfile&filename=..%2Fform.txt&filedata="+data+auth)
	wantPrefix(t, body, "ERROR: bad filename")
	_, body = s.post("application/json", `{"apientry":"putfile","filename":"../json.txt","filedata":"`+data+`","authkey":"`+s.key+`","authid":"root","authpwd":"Root-Pw-4242"}`)
	if !strings.Contains(body, `"text":"ERROR: bad filename`) {
		t.Fatalf("JSON putfile: %s", body)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "files" && e.Name() != "storage" && e.Name() != "backup" {
			t.Fatalf("written outside the folders: %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.txt")); err == nil {
		t.Fatal("x.txt written outside")
	}
	_, body = s.getRaw("/mvapireq/?apientry=putfile&filename=ok.txt&filedata=" + data + auth)
	wantPrefix(t, body, "OK: saved ok.txt (5 bytes)")
	_, body = s.getRaw("/mvapireq/?apientry=getfile&filename=ok.txt" + auth)
	if body != "OK: "+data {
		t.Fatalf("getfile %q", body)
	}
}
