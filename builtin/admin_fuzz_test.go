package builtin

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzCleanRelPath: a name cleanRelPath accepts is local to any folder
// (no .. part, not absolute, no backslash, colon or percent, no hidden part),
// and opening it through os.Root below a folder never resolves outside.
func FuzzCleanRelPath(f *testing.F) {
	for _, s := range []string{
		"a.txt", "dir/a.txt", "../x", "/etc/passwd", "%2e%2e%2fx", `..\x`, "C:/x", "a//b", "./a", "a/.b",
		"a/b/../c", "x\x00y", "~/x", "con", "a b/c d.ini", "é/ü.txt", "..", "...", "a/...", "x/", strings.Repeat("a/", 9) + "z",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	os.MkdirAll(filepath.Join(root, "in", "dir"), 0o750)
	r, err := os.OpenRoot(filepath.Join(root, "in"))
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	f.Fuzz(func(t *testing.T, name string) {
		got, err := cleanRelPath(name)
		if err != nil {
			if got != "" {
				t.Fatalf("refused %q but returned %q", name, got)
			}
			return
		}
		if got != name {
			t.Fatalf("accepted %q as %q", name, got)
		}
		if !filepath.IsLocal(name) || path.Clean(name) != name || path.IsAbs(name) {
			t.Fatalf("accepted non-local %q", name)
		}
		for _, bad := range []string{`\`, ":", "%", "\x00"} {
			if strings.Contains(name, bad) {
				t.Fatalf("accepted %q containing %q", name, bad)
			}
		}
		for _, part := range strings.Split(name, "/") {
			if part == "" || part == ".." || strings.HasPrefix(part, ".") {
				t.Fatalf("accepted %q with part %q", name, part)
			}
		}
		if len(name) > maxPathBytes || strings.Count(name, "/") >= maxPathDepth {
			t.Fatalf("accepted over-long %q", name)
		}
		// os.Root may say "not found", never "escapes".
		if _, err := r.Stat(name); err != nil && strings.Contains(err.Error(), "escapes") {
			t.Fatalf("%q escapes: %v", name, err)
		}
	})
}

// FuzzIniSet: after set, get answers the value; other keys keep theirs
// and the file parses to the same pairs again.
func FuzzIniSet(f *testing.F) {
	f.Add("; c\n[a]\nx=1\n[b]\ny=2\n", "a", "x", "9")
	f.Add("", "new", "k", "v")
	f.Add("[a]\r\nx = 1\r\n\r\n", "A", "X", "")
	f.Add("x=0\n[a\n[a]]\n=\n", "a", "z", "1 2")
	f.Fuzz(func(t *testing.T, file, sec, key, value string) {
		if checkIniName(sec, key, true) != nil || checkIniValue(value) != nil || strings.TrimSpace(value) != value {
			return
		}
		ini := parseIni([]byte(file))
		before := map[string][][2]string{}
		for _, l := range ini.lines {
			if h, ok := header(l); ok && !strings.EqualFold(h, sec) {
				before[strings.ToLower(h)], _ = ini.keys(h)
			}
		}
		ini.set(sec, key, value)
		if got, ok := ini.get(sec, key); !ok || got != value {
			t.Fatalf("get after set: %q %v, want %q", got, ok, value)
		}
		again := parseIni(ini.bytes())
		if got, ok := again.get(sec, key); !ok || got != value {
			t.Fatalf("reparsed: %q %v, want %q\n%s", got, ok, value, ini.bytes())
		}
		for h, kv := range before {
			if now, _ := again.keys(h); !slices.Equal(now, kv) {
				t.Fatalf("section %s changed: %q, was %q", h, now, kv)
			}
		}
	})
}
