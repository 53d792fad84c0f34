package builtin_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/internal/logring"
	"mvapi/internal/mvtest"
)

// adminEntries are the admin entries of issue #5's "Admin entries, for
// real" (the not-supported ones are in notSupportedEntries).
var adminEntries = []string{
	"hearthbeat", "info", "shortinfo", "quickstat", "querylist", "fastusers", "syncusers", "deviceid",
	"threads", "threadlist", "threads2", "locks", "lists", "reports", "showlog", "log", "logsearch", "logrename",
	"showcfg", "addserver", "deluser", "listusers", "db", "getfield", "bannedlist", "delbanned", "dbreset",
	"dbbackup", "backupdb", "dbrestore", "putfile", "getfile", "pputfile", "pgetfile", "getini", "setini",
	"savesettings", "saveinifiles", "loadinifiles", "unreg", "disccall", "cmd", "reguser", "regstat",
}

var notSupportedEntries = []string{
	"fastregusers", "endpoints", "epreg", "routingtest", "gencdr", "fs", "tunnelinfo",
	"tunnelinfoex", "tunnellist", "call", "file", "sendamsg", "voicehere", "voicehere2", "gk", "client", "setip",
	"timezoneset", "vsiprst", "sipreset", "ftprst", "webrst", "resetp", "gwrst", "dbrsttgs", "reloaddialplan",
	"reloadapikeys", "reloadnumdircache", "rebill", "reindexncache", "calcncache", "clearnccache", "upgradeall",
	"dbfailover", "predectivet", "syncmedia", "stopcanner", "checkscanner", "finetune", "normalizechk", "delobj",
	"unittest", "toclient", "togw", "toip", "at", "updcdrdir", "createcdrinfo", "setfastregpwd", "newuserevent",
	"newusersevent", "checkcredits", "checkpins", "capcheck", "parsegsmcdr", "willstop", "checkmails",
	"smsreceive", "tbackup", "backup",
}

// adminDirs are the folders of the file entries of one test.
type adminDirs struct{ server, storage, backup string }

// adminEnv is an env whose file folders are in a temporary directory and
// whose logger keeps its lines in a ring (as cmd/mvapi wires it).
func adminEnv(t *testing.T, sets map[string]string) (*env, adminDirs) {
	t.Helper()
	base := t.TempDir()
	dirs := adminDirs{filepath.Join(base, "files"), filepath.Join(base, "storage"), filepath.Join(base, "backup")}
	// Refusals count as failed logins: the lockout would end the test early.
	cfg := map[string]string{"serverdir": dirs.server, "filestoragedir": dirs.storage, "backupdir": dirs.backup, "authlockoutfailures": "0"}
	for k, v := range sets {
		cfg[k] = v
	}
	db := mvtest.MustOpen(t, mvtest.FreshDSN(t, kindOf(t)))
	logger := slog.New(logring.New(slog.NewTextHandler(io.Discard, nil), 500))
	e, _ := mvtest.MustEngineActions(t, db, cfg, actions.Deps{Logger: logger})
	return &env{t: t, db: db, e: e, key: mvtest.APIKey(t, db)}, dirs
}

// admin sends entry as the admin user root from the untrusted remoteIP.
func (v *env) admin(entry string, kv ...string) string {
	v.t.Helper()
	res := v.as("root", entry, kv...)
	return res.Text
}

// dirEntries lists every path below dir (empty when dir does not exist).
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// TestAdminEntriesRefuseNonAdmins: every admin entry of the table (these
// and all others at req_user 6 or below) refuses an enduser, a reseller, a
// support user and an anonymous caller from an untrusted address, and
// nothing happens: no user deleted, no file written, no row queued, the
// banned list kept.
func TestAdminEntriesRefuseNonAdmins(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, dirs := adminEnv(t, map[string]string{"allowcmdaction": "1"})
		v.user("root", engine.TypeAdmin, 0)
		annID := v.user("ann", engine.TypeEndUser, 5)
		v.user("rex", engine.TypeReseller, 5)
		v.user("sue", engine.TypeSupport, 5)
		v.exec("INSERT INTO tb_bannedips (ip, reason, created) VALUES ('198.51.100.9', 'test', ?)", time.Now().UTC())
		names := map[string]bool{}
		for _, e := range v.e.Table().Entries() {
			if e.Access.ReqUser <= engine.LevelAdmins {
				names[e.Name] = true
			}
		}
		for _, n := range append(slices.Clone(adminEntries), notSupportedEntries...) {
			if !names[n] {
				t.Errorf("%s is not an admin entry of the table", n)
			}
		}
		bag := []string{"filename", "x.txt", "filedata", "aGk=", "txt", "DELETE FROM tb_users", "u_id", "1",
			"u_username", "ann", "u_name", "srv", "u_domain", "example.com", "ip", "all", "path", "b.db",
			"section", "s", "key", "k", "value", "v", "username", "all", "dbcallid", "7", "table", "tb_users",
			"fieldname", "credit", "fieldvalue", "999", "rowid", "1", "filterfieldvalue", "ann"}
		users := v.count("SELECT COUNT(*) FROM tb_users")
		for name := range names {
			for _, who := range []string{"ann", "rex", "sue"} {
				res := v.as(who, name, bag...)
				if res.OK || !(strings.HasPrefix(res.Text, "ERROR: access denied") || strings.HasPrefix(res.Text, "ERROR: auth failed: ip not allowed")) {
					t.Errorf("%s as %s: %q", name, who, res.Text)
				}
			}
			res := v.serve(remoteIP, name, append([]string{"authkey", v.key}, bag...)...)
			if res.OK || !strings.HasPrefix(res.Text, "ERROR: auth failed") {
				t.Errorf("%s anonymous: %q", name, res.Text)
			}
		}
		// The user form of setfield does not become the admin form.
		wantErr(t, v.as("ann", "setfield", "table", "tb_rates", "fieldname", "price", "fieldvalue", "0", "rowid", "1"), "tb_users only")
		if n := v.count("SELECT COUNT(*) FROM tb_users"); n != users {
			t.Fatalf("users %d, want %d", n, users)
		}
		if v.credit(annID) != 5 {
			t.Fatal("ann's credit changed")
		}
		if v.count("SELECT COUNT(*) FROM tb_bannedips") != 1 || v.count("SELECT COUNT(*) FROM tb_switchrequests") != 0 {
			t.Fatal("banned list or switch queue changed")
		}
		for _, d := range []string{dirs.server, dirs.storage, dirs.backup} {
			if got := dirEntries(t, d); len(got) != 0 {
				t.Fatalf("%s: %v written", d, got)
			}
		}
	})
}

// TestNotSupportedEntriesSayWhat: switch-only entries are known to an
// admin and answer "ERROR: not supported: NAME".
func TestNotSupportedEntriesSayWhat(t *testing.T) {
	t.Parallel()
	v, _ := adminEnv(t, nil)
	v.user("root", engine.TypeAdmin, 0)
	for _, n := range notSupportedEntries {
		if got := v.admin(n); !strings.HasPrefix(got, "ERROR: not supported: "+n) {
			t.Errorf("%s: %q", n, got)
		}
	}
	if got := v.admin("backup"); !strings.Contains(got, "dbbackup makes a local backup") {
		t.Errorf("backup: %q", got)
	}
	if got := v.admin("logrename"); !strings.HasPrefix(got, "ERROR: not supported: logrename (mvapi writes its log to stderr") {
		t.Errorf("logrename: %q", got)
	}
}

// TestLogEntries: showlog, log and logsearch answer the lines the engine's
// logger kept, newest last, with secrets masked.
func TestLogEntries(t *testing.T) {
	t.Parallel()
	v, _ := adminEnv(t, nil)
	v.user("root", engine.TypeAdmin, 0)
	log := v.e.Logger()
	for i := range 5 {
		log.Info("marker line", "n", i)
	}
	log.Warn("login attempt", "authpwd", "Hunter2-Secret", "url", "/mvapireq/?authid=x&authmd5=f00dfeed")
	res := v.as("root", "showlog", "lines", "3")
	wantOK(t, res, "OK: 3 lines")
	lines := column(t, res, "line")
	if !strings.Contains(lines[2], "login attempt") || !strings.Contains(lines[1], "n=4") {
		t.Fatalf("showlog lines %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, "Hunter2-Secret") || strings.Contains(l, "f00dfeed") {
			t.Fatalf("secret in the log: %q", l)
		}
	}
	wantOK(t, v.as("root", "log"), "OK: ")
	res = v.as("root", "logsearch", "txt", "MARKER", "lines", "2")
	wantOK(t, res, "OK: 2 lines")
	if l := column(t, res, "line"); !strings.Contains(l[0], "n=3") || !strings.Contains(l[1], "n=4") {
		t.Fatalf("logsearch %q", l)
	}
	wantOK(t, v.as("root", "showlog", "param1", "main", "param2", "1"), "OK: 1 lines")
	wantErr(t, v.as("root", "showlog", "logname", "sip"), "no such log: sip")
	wantErr(t, v.as("root", "showlog", "lines", "0"), "bad lines")
	wantErr(t, v.as("root", "logsearch"), "missing parameter: txt")
	// Without a ring the entries say so.
	plain := newEnv(t, nil)
	plain.user("root", engine.TypeAdmin, 0)
	wantErr(t, plain.as("root", "showlog"), "keeps no log lines")
}

// TestShowCfgMasksSecrets: registered secrets and secret-looking rows are
// masked; other values are shown with their defaults.
func TestShowCfgMasksSecrets(t *testing.T) {
	t.Parallel()
	v, _ := adminEnv(t, map[string]string{"registerexpiry": "900"})
	v.user("root", engine.TypeAdmin, 0)
	v.exec("INSERT INTO tb_globalconfig (name, value) VALUES ('smtppassword2', 'Pw-Hidden-9'), ('apiv2md5salt', 'Salt-Hidden-9')")
	v.e.ReloadConfig(context.Background())
	res := v.as("root", "showcfg")
	wantOK(t, res, "OK: ")
	byName := map[string][]string{}
	for _, r := range res.Rows {
		byName[r[0]] = r
	}
	for _, secret := range []string{"apiv2key", "apiv2md5salt", "smtppassword2", "httpapiencryptkey"} {
		if byName[secret] == nil || byName[secret][1] != "xxxxx (set)" {
			t.Errorf("%s shown as %q", secret, byName[secret])
		}
	}
	if r := byName["registerexpiry"]; r == nil || r[1] != "900" || r[2] != "8640" || r[3] != "yes" || r[4] != "flag" {
		t.Errorf("registerexpiry row %q", r)
	}
	if r := byName["apiv2md5salt"]; r == nil || r[4] != "table" {
		t.Errorf("apiv2md5salt row %q", r)
	}
	if r := byName["sqltimeout"]; r == nil || r[4] != "default" {
		t.Errorf("sqltimeout row %q", r)
	}
	if strings.Contains(strings.Join(res.Columns, ",")+res.Text, v.key) {
		t.Fatal("api key shown")
	}
	for _, r := range res.Rows {
		if strings.Contains(r[1], "Hidden-9") || r[1] == v.key {
			t.Fatalf("secret shown: %q", r)
		}
	}
}

var hex32 = regexp.MustCompile(`^OK: [0-9a-f]{32}$`)
