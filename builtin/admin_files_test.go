package builtin_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mvapi/engine"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestFileEntriesRoundTrip: putfile/getfile under serverdir and
// pputfile/pgetfile under filestoragedir, each folder its own, within
// maxfilebytes.
func TestFileEntriesRoundTrip(t *testing.T) {
	t.Parallel()
	v, dirs := adminEnv(t, map[string]string{"maxfilebytes": "64"})
	v.user("root", engine.TypeAdmin, 0)
	wantOK(t, v.as("root", "putfile", "filename", "conf/a b.txt", "filedata", b64("hello")), "OK: saved conf/a b.txt (5 bytes)")
	if b, err := os.ReadFile(filepath.Join(dirs.server, "conf", "a b.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("file on disk %q %v", b, err)
	}
	if got := v.admin("getfile", "filename", "conf/a b.txt"); got != "OK: "+b64("hello") {
		t.Fatalf("getfile %q", got)
	}
	// A '+' of base64 sent unencoded in a query string arrives as a space.
	data := string([]byte{0xfb, 0xef, 0xff})
	wantOK(t, v.as("root", "pputfile", "param1", "bin.dat", "param2", strings.ReplaceAll(b64(data), "+", " ")), "OK: saved bin.dat (3 bytes)")
	if got := v.admin("pgetfile", "filename", "bin.dat"); got != "OK: "+b64(data) {
		t.Fatalf("pgetfile %q", got)
	}
	if _, err := os.Stat(filepath.Join(dirs.storage, "bin.dat")); err != nil {
		t.Fatal("pputfile did not write into filestoragedir")
	}
	wantErr(t, v.as("root", "getfile", "filename", "bin.dat"), "file not found: bin.dat")
	wantOK(t, v.as("root", "putfile", "filename", "conf/a b.txt", "filedata", b64("again")), "OK: saved")
	wantErr(t, v.as("root", "putfile", "filename", "big.txt", "filedata", b64(strings.Repeat("x", 65))), "file too large: at most 64 bytes")
	wantErr(t, v.as("root", "putfile", "filename", "bad.txt", "filedata", "!!not base64!!"), "not base64")
	wantErr(t, v.as("root", "putfile", "filename", "none.txt"), "missing parameter: filedata")
	wantErr(t, v.as("root", "putfile", "filename", "conf", "filedata", b64("x")), "not a regular file")
	os.WriteFile(filepath.Join(dirs.server, "huge.txt"), []byte(strings.Repeat("y", 100)), 0o600)
	wantErr(t, v.as("root", "getfile", "filename", "huge.txt"), "file too large")
	if got := dirEntries(t, dirs.server); !slices.Equal(got, []string{"conf", "conf/a b.txt", "huge.txt"}) {
		t.Fatalf("server folder holds %v", got)
	}
}

// traversalNames try to leave the folder: relative, absolute, encoded,
// Windows forms and hidden names.
func traversalNames(outside string) []string {
	return []string{
		"../x.txt", "../../etc/passwd", "a/../../x.txt", "a/../b.txt", "./x.txt", "a/./x.txt", "a//x.txt",
		"/etc/passwd", filepath.Join(outside, "secret.txt"), "/" + outside + "/secret.txt",
		"%2e%2e%2fx.txt", "%2e%2e/x.txt", "..%2fx.txt", "%252e%252e%252fx.txt", "..%5cx.txt",
		`..\x.txt`, `a\..\..\x.txt`, `\\server\share\x`, "C:/x.txt", "C:x.txt", "x.txt:stream",
		"..", ".", "", " ", ".hidden", "a/.ssh/id", "x\x00.txt", "x\n.txt", "~/x.txt", "x.txt/",
		"link/new.txt", "link/secret.txt", "esc.txt", "deep/a/b/c/d/e/f/g/h/i.txt", strings.Repeat("n", 300),
	}
}

// TestFileEntriesRefuseTraversal: every file entry answers ERROR for every
// name that could leave its folder (symlinks included), and nothing
// outside changes and nothing new appears inside.
func TestFileEntriesRefuseTraversal(t *testing.T) {
	t.Parallel()
	v, dirs := adminEnv(t, nil)
	v.user("root", engine.TypeAdmin, 0)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("top secret"), 0o600)
	for _, d := range []string{dirs.server, dirs.storage, dirs.backup} {
		os.MkdirAll(d, 0o750)
		if err := os.Symlink(outside, filepath.Join(d, "link")); err != nil {
			t.Skip("no symlinks here:", err)
		}
		os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(d, "esc.txt"))
	}
	before := map[string][]string{}
	for _, d := range []string{outside, dirs.server, dirs.storage, dirs.backup} {
		before[d] = dirEntries(t, d)
	}
	admin := []string{"authkey", v.key, "authid", "root", "authpwd", pwd("root")}
	for _, name := range traversalNames(outside) {
		for _, call := range [][]string{
			{"putfile", "filename", name, "filedata", b64("pwned")},
			{"getfile", "filename", name},
			{"pputfile", "filename", name, "filedata", b64("pwned")},
			{"pgetfile", "filename", name},
			{"setini", "file", name, "section", "s", "key", "k", "value", "pwned"},
			{"getini", "file", name, "section", "s", "key", "k"},
			{"savesettings", "file", name},
			{"loadinifiles", "file", name},
			{"dbbackup", "path", name},
			{"dbrestore", "path", name},
		} {
			if strings.TrimSpace(name) == "" && !strings.HasSuffix(call[0], "file") {
				continue // no file or path means the default one
			}
			res := v.serve("127.0.0.1", call[0], append(admin, call[1:]...)...)
			if res.OK || !strings.HasPrefix(res.Text, "ERROR: ") {
				t.Errorf("%s %q: %q", call[0], name, res.Text)
			}
			if strings.Contains(res.Text, "top secret") || strings.Contains(res.Text, b64("top secret")) {
				t.Fatalf("%s %q leaked the secret", call[0], name)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret.txt")); string(b) != "top secret" {
		t.Fatal("the outside file changed")
	}
	for d, was := range before {
		if now := dirEntries(t, d); !slices.Equal(now, was) {
			t.Errorf("%s: %v, was %v", d, now, was)
		}
	}
}
