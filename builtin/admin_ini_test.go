package builtin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mvapi/engine"
)

// TestIniEntries: setini and getini change one key and keep the rest of
// the file; bad names and values are refused.
func TestIniEntries(t *testing.T) {
	t.Parallel()
	v, dirs := adminEnv(t, nil)
	v.user("root", engine.TypeAdmin, 0)
	wantErr(t, v.as("root", "getini", "section", "sip", "key", "port"), "not found: [sip] port in mvapi.ini")
	os.MkdirAll(dirs.server, 0o750)
	os.WriteFile(filepath.Join(dirs.server, "mvapi.ini"), []byte("; kept comment\r\n[sip]\r\nport = 5060\r\n\r\n[web]\nroot=/var/www\n"), 0o600)
	if got := v.admin("getini", "section", "SIP", "key", "Port"); got != "OK: 5060" {
		t.Fatalf("getini %q", got)
	}
	wantOK(t, v.as("root", "setini", "section", "sip", "key", "port", "value", "5080"), "OK: [sip] port written to mvapi.ini")
	wantOK(t, v.as("root", "setini", "param1", "sip", "param2", "transport", "param3", "tls"), "OK: ")
	wantOK(t, v.as("root", "setini", "section", "new one", "key", "x", "value", "1"), "OK: ")
	b, _ := os.ReadFile(filepath.Join(dirs.server, "mvapi.ini"))
	want := "; kept comment\n[sip]\nport=5080\ntransport=tls\n\n[web]\nroot=/var/www\n\n[new one]\nx=1\n"
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
	res := v.as("root", "getini", "section", "sip")
	wantOK(t, res, "OK: 2 keys in [sip]")
	if got := strings.Join(column(t, res, "value"), ","); got != "5080,tls" {
		t.Fatalf("section values %q", got)
	}
	wantOK(t, v.as("root", "setini", "section", "a", "key", "b", "value", "c", "file", "other.ini"), "OK: [a] b written to other.ini")
	if got := v.admin("getini", "section", "a", "key", "b", "file", "other.ini"); got != "OK: c" {
		t.Fatalf("other.ini %q", got)
	}
	for _, tc := range []struct {
		want string
		kv   []string
	}{
		{"bad file", []string{"section", "a", "key", "b", "value", "c", "file", "x.txt"}},
		{"bad file", []string{"section", "a", "key", "b", "value", "c", "file", "sub/x.ini"}},
		{"bad key", []string{"section", "a", "key", "b=c", "value", "c"}},
		{"bad key", []string{"section", "a", "value", "c"}},
		{"bad section", []string{"section", "a]\n[b", "key", "k", "value", "c"}},
		{"bad value", []string{"section", "a", "key", "k", "value", "line1\n[evil]\nx=1"}},
	} {
		wantErr(t, v.as("root", "setini", tc.kv...), tc.want)
	}
	if b2, _ := os.ReadFile(filepath.Join(dirs.server, "mvapi.ini")); string(b2) != want {
		t.Fatal("a refused setini changed the file")
	}
}

// TestSaveAndLoadSettings: savesettings writes the stored options without
// secrets; loadinifiles checks every value first, stores them and
// reloads; a secret written masked stays as it is.
func TestSaveAndLoadSettings(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, dirs := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		v.exec("INSERT INTO tb_globalconfig (name, value) VALUES ('registerexpiry', '9000'), ('notanoption', 'x')")
		wantOK(t, v.as("root", "savesettings"), "OK: 2 settings saved to mvapi.ini [globalconfig]; 1 rows that are not mvapi options left out")
		b, _ := os.ReadFile(filepath.Join(dirs.server, "mvapi.ini"))
		if strings.Contains(string(b), v.key) || !strings.Contains(string(b), "apiv2key=xxxxx (set)") || !strings.Contains(string(b), "registerexpiry=9000") {
			t.Fatalf("settings file:\n%s", b)
		}
		if st, _ := os.Stat(filepath.Join(dirs.server, "mvapi.ini")); st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", st.Mode())
		}
		wantOK(t, v.as("root", "setini", "section", "globalconfig", "key", "registerexpiry", "value", "7000"), "OK: ")
		wantOK(t, v.as("root", "setini", "section", "globalconfig", "key", "sqltimeout", "value", "20"), "OK: ")
		wantOK(t, v.as("root", "loadinifiles"), "OK: 2 settings loaded from mvapi.ini [globalconfig], config reloaded")
		if v.e.Config().RegisterExpiry != 7000 || v.e.Config().SQLTimeout != 20 || v.e.Config().APIKey != v.key {
			t.Fatalf("config after load: %d %d key kept %v", v.e.Config().RegisterExpiry, v.e.Config().SQLTimeout, v.e.Config().APIKey == v.key)
		}
		if v.count("SELECT COUNT(*) FROM tb_globalconfig WHERE name = 'sqltimeout' AND value = '20'") != 1 {
			t.Fatal("sqltimeout not stored")
		}
		wantOK(t, v.as("root", "setini", "section", "globalconfig", "key", "registerexpiry", "value", "soon"), "OK: ")
		wantErr(t, v.as("root", "loadinifiles"), `nothing loaded: global config: option registerexpiry="soon"`)
		wantOK(t, v.as("root", "setini", "section", "globalconfig", "key", "registerexpiry", "value", "100"), "OK: ")
		wantOK(t, v.as("root", "setini", "section", "globalconfig", "key", "mystery", "value", "1"), "OK: ")
		wantErr(t, v.as("root", "loadinifiles"), "nothing loaded, unknown options: mystery")
		if v.count("SELECT COUNT(*) FROM tb_globalconfig WHERE name = 'registerexpiry' AND value = '7000'") != 1 {
			t.Fatal("a refused load changed tb_globalconfig")
		}
		wantOK(t, v.as("root", "saveinifiles", "file", "copy.ini"), "OK: ")
		wantErr(t, v.as("root", "loadinifiles", "file", "missing.ini"), "not found: [globalconfig] in missing.ini")
	})
}
