package builtin_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// Regression tests of issue 10 (trust): each replays an attack as the
// issue wrote it and wants a refusal.

const loopback = "127.0.0.1"

// trustEnv is an env whose file folders are stored in tb_globalconfig
// (not --set, which would win over any change an attack makes), as a real
// server configured through its database has them.
func trustEnv(t *testing.T, sets map[string]string) (*env, adminDirs) {
	t.Helper()
	base := t.TempDir()
	dirs := adminDirs{filepath.Join(base, "files"), filepath.Join(base, "storage"), filepath.Join(base, "backup")}
	db := mvtest.MustOpen(t, mvtest.FreshDSN(t, kindOf(t)))
	for n, d := range map[string]string{"serverdir": dirs.server, "filestoragedir": dirs.storage, "backupdir": dirs.backup} {
		mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES (?, ?)", n, d)
	}
	cfg := map[string]string{"authlockoutfailures": "0"}
	for k, v := range sets {
		cfg[k] = v
	}
	return &env{t: t, db: db, e: mvtest.MustEngine(t, db, cfg), key: mvtest.APIKey(t, db)}, dirs
}

// trusted sends a request from loopback without any credentials (a
// trusted IP acting as admin).
func (v *env) trusted(entry string, kv ...string) string {
	v.t.Helper()
	return v.serve(loopback, entry, kv...).Text
}

func refused(t *testing.T, what, got string) {
	t.Helper()
	if !strings.HasPrefix(got, "ERROR: ") {
		t.Fatalf("%s: answered %q, want a refusal", what, got)
	}
}

// Issue 10 item 3: a trusted IP without a password turned command actions
// on through setini + loadinifiles, wrote a shell command into tb_api with
// setfield and ran it after apireload; setfield customsql=SELECT ... is db
// by another name.
func TestTrustedIPCannotReachCommandsOrSQL(t *testing.T) {
	v, dirs := trustEnv(t, nil)
	marker := filepath.Join(t.TempDir(), "pwned")
	v.exec("INSERT INTO tb_api (fname, customsql) VALUES ('myrow', 'SELECT 1')")
	var rowID int64
	if err := v.db.Get(&rowID, "SELECT id FROM tb_api WHERE fname = 'myrow'"); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(rowID)

	refused(t, "setini allowcmdaction", v.trusted("setini", "section", "globalconfig", "key", "allowcmdaction", "value", "1"))
	refused(t, "loadinifiles", v.trusted("loadinifiles"))
	refused(t, "setfield custom_action", v.trusted("setfield", "table", "tb_api", "rowid", id, "fieldname", "custom_action", "fieldvalue", "7"))
	refused(t, "setfield custom_action_body", v.trusted("setfield", "table", "tb_api", "rowid", id,
		"fieldname", "custom_action_body", "fieldvalue", "/bin/sh -c 'touch "+marker+"'"))
	v.trusted("apireload")
	v.trusted("myrow")
	refused(t, "setfield customsql", v.trusted("setfield", "table", "tb_api", "rowid", id,
		"fieldname", "customsql", "fieldvalue", "SELECT username,password FROM tb_users"))
	refused(t, "setfield tb_globalconfig", v.trusted("setfield", "table", "tb_globalconfig", "rowid", "1", "fieldname", "value", "fieldvalue", "1"))
	refused(t, "getfield apiv2key", v.trusted("getfield", "table", "tb_globalconfig", "retfieldname", "value", "filterfieldname", "name", "filterfieldvalue", "apiv2key"))
	v.trusted("apireload")
	if got := v.trusted("myrow"); strings.Contains(got, "pw-") {
		t.Fatalf("customsql read passwords: %q", got)
	}
	time.Sleep(300 * time.Millisecond) // a command action runs on the async pool
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a shell command ran")
	}
	if v.e.Config().Int("allowcmdaction") != 0 {
		t.Fatal("allowcmdaction switched on")
	}
	if n := v.count("SELECT COUNT(*) FROM tb_api WHERE fname = 'myrow' AND customsql = 'SELECT 1' AND custom_action IS NULL"); n != 1 {
		t.Fatal("tb_api changed")
	}

	// An admin who proves its password may change tb_api (it may run db
	// anyway), but not switch command actions on from an ini file.
	v.user("root", engine.TypeAdmin, 0)
	refused(t, "setini by a verified admin", v.as("root", "setini", "section", "globalconfig", "key", "allowcmdaction", "value", "1").Text)
	os.MkdirAll(dirs.server, 0o750)
	os.WriteFile(filepath.Join(dirs.server, "mvapi.ini"), []byte("[globalconfig]\nallowcmdaction=1\nregisterexpiry=7000\n"), 0o600)
	wantErr(t, v.as("root", "loadinifiles"), "security options cannot be changed from an ini file: allowcmdaction")
	if v.e.Config().Int("allowcmdaction") != 0 || v.e.Config().RegisterExpiry == 7000 {
		t.Fatal("loadinifiles loaded")
	}
	wantOK(t, v.as("root", "setfield", "table", "tb_api", "rowid", id, "fieldname", "description", "fieldvalue", "mine"), "OK: tb_api.description updated")
	// dbrestore replaces tb_api and tb_globalconfig too.
	refused(t, "dbrestore", v.trusted("dbrestore", "path", "x.db"))
}

// Issue 10 item 4: setini serverdir=/ + loadinifiles moved the file folder:
// getfile filename=etc/passwd, putfile anywhere. Folders are read at start.
func TestFileFolderCannotMove(t *testing.T) {
	v, dirs := trustEnv(t, nil)
	v.trusted("setini", "key", "serverdir", "value", "/")
	v.trusted("setini", "section", "globalconfig", "key", "serverdir", "value", "/")
	v.trusted("loadinifiles")
	if got := v.trusted("getfile", "filename", "etc/passwd"); strings.HasPrefix(got, "OK") {
		t.Fatalf("getfile etc/passwd: %.60q", got)
	}
	v.user("root", engine.TypeAdmin, 0)
	refused(t, "setini serverdir by a verified admin", v.as("root", "setini", "section", "globalconfig", "key", "serverdir", "value", "/").Text)
	// Even a DBA's tb_globalconfig change takes effect at the next start
	// only: a reload keeps the folders in force.
	v.exec("UPDATE tb_globalconfig SET value = '/' WHERE name = 'serverdir'")
	wantOK(t, v.as("root", "reload"), "OK")
	if got := v.trusted("getfile", "filename", "etc/passwd"); strings.HasPrefix(got, "OK") {
		t.Fatalf("getfile etc/passwd after reload: %.60q", got)
	}
	if v.e.Config().Get("serverdir") != dirs.server {
		t.Fatalf("serverdir %q", v.e.Config().Get("serverdir"))
	}
	wantOK(t, v.serve(loopback, "putfile", "filename", "x.txt", "filedata", base64.StdEncoding.EncodeToString([]byte("x"))), "OK: saved")
	if _, err := os.Stat(filepath.Join(dirs.server, "x.txt")); err != nil {
		t.Fatal("putfile wrote outside the folder of start")
	}
}

// Issue 10 item 5: enduser 1111 with its own password from 127.0.0.1 (a
// portal on the same host) was admin.
func TestEnduserFromTrustedIPActsAsItself(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"authlockoutfailures": "0"})
		id := v.user("1111", engine.TypeEndUser, 5)
		v.user("admin", engine.TypeAdmin, 0)
		v.exec("UPDATE tb_users SET email = 'admin@example.com' WHERE username = 'admin'")
		self := []string{"authid", "1111", "authpwd", pwd("1111")}
		refused(t, "setfield credit", v.serve(loopback, "setfield", append(self, "fieldname", "credit", "fieldvalue", "1000")...).Text)
		if v.credit(id) != 5 {
			t.Fatalf("credit %v", v.credit(id))
		}
		refused(t, "setfield rowid", v.serve(loopback, "setfield", append(self, "rowid", "1", "fieldname", "credit", "fieldvalue", "1000")...).Text)
		got := v.serve(loopback, "getfield", append(self, "table", "tb_users", "retfieldname", "password", "filterfieldvalue", "admin")...).Text
		if got != "ERROR: access denied: getfield needs a higher user level" {
			t.Fatalf("getfield: %q", got)
		}
		res := v.serve(loopback, "search", append(self, "search", "ad")...)
		if slices.Contains(res.Columns, "email") || slices.Contains(res.Columns, "credit") || strings.Contains(fmt.Sprint(res.Rows), "admin@example.com") {
			t.Fatalf("search by an enduser: %q %v %v", res.Text, res.Columns, res.Rows)
		}
		// Without a secret, naming the user from the trusted IP: still the
		// user's level.
		refused(t, "listusers as 1111", v.serve(loopback, "listusers", "authid", "1111").Text)
		// A portal acts for a user by naming no user and sending targetuser.
		wantOK(t, v.serve(loopback, "balance", "targetuser", "1111"), "Your credit is $5")
	})
}

// Issue 10 item 14: an admin became srvadmin.
func TestOnlySrvAdminTouchesSrvAdmin(t *testing.T) {
	v := newEnv(t, map[string]string{"authlockoutfailures": "0"})
	srv := fmt.Sprint(v.user("srv", engine.TypeSrvAdmin, 0))
	root := fmt.Sprint(v.user("root", engine.TypeAdmin, 0))
	for _, tc := range [][]string{
		{"setfield", "rowid", srv, "fieldname", "password", "fieldvalue", "taken-over1"},
		{"setfield", "rowid", root, "fieldname", "type", "fieldvalue", "6"},
		{"setfield", "fieldname", "type", "fieldvalue", "6"},
		{"setfield", "table", "tb_users", "rowid", srv, "fieldname", "password", "fieldvalue", "taken-over1"},
		{"setfield", "table", "tb_users", "rowid", root, "fieldname", "type", "fieldvalue", "6"},
		{"newuseri", "u_username", "newsrv", "u_password", "newsrv-pw1", "u_type", "6"},
	} {
		wantErr(t, v.serve(loopback, tc[0], append([]string{"authkey", v.key, "authid", "root", "authpwd", pwd("root")}, tc[1:]...)...), "access denied: only a srvadmin")
	}
	wantErr(t, v.serve(loopback, "setfield", "rowid", srv, "fieldname", "password", "fieldvalue", "taken-over1"), "access denied: only a srvadmin")
	wantErr(t, v.serve(loopback, "setfield", "targetuser", "srv", "fieldname", "password", "fieldvalue", "taken-over1"), "access denied: only a srvadmin")
	if n := v.count("SELECT COUNT(*) FROM tb_users WHERE type = 6"); n != 1 {
		t.Fatalf("%d srvadmins", n)
	}
	wantOK(t, v.as("srv", "balance"), "Your credit is") // the srvadmin's password is unchanged
	wantOK(t, v.as("srv", "setfield", "rowid", root, "fieldname", "type", "fieldvalue", "6"), "OK: type updated")
	wantOK(t, v.as("srv", "setfield", "table", "tb_users", "rowid", srv, "fieldname", "name", "fieldvalue", "S"), "OK: tb_users.name updated")
}

// Issue 10 item 19: a wrong authkey from a trusted IP was ignored.
func TestWrongKeyFromTrustedIPIsRefused(t *testing.T) {
	v := newEnv(t, nil)
	res := v.serve(loopback, "listusers", "authkey", "not-the-key")
	if res.Text != "ERROR: auth failed: wrong key" || res.Kind != engine.KindAuth {
		t.Fatalf("wrong key from loopback: %q kind %v", res.Text, res.Kind)
	}
	wantOK(t, v.serve(loopback, "listusers", "authkey", v.key), "OK")
	wantOK(t, v.serve(loopback, "listusers"), "OK")
}

// Issue 10 item 11: authid=1111 without a secret answered "send authmd5
// or authpwd", an unknown user "wrong user or password".
func TestNoUsernameEnumeration(t *testing.T) {
	for _, sets := range []map[string]string{nil, {"apidefneedlogin": "2"}} {
		v := newEnv(t, sets)
		v.user("1111", engine.TypeEndUser, 5)
		v.user("off", engine.TypeEndUser, 5)
		v.exec("UPDATE tb_users SET enabled = 0 WHERE username = 'off'")
		answer := func(authid string, more ...string) string {
			got := v.serve(remoteIP, "balance", append([]string{"authkey", v.key, "authid", authid}, more...)...).Text
			if i := strings.Index(got, "new nonce is:"); i >= 0 {
				got = got[:i] // the nonce itself differs
			}
			return got
		}
		known, unknown, disabled := answer("1111"), answer("nobody"), answer("off")
		if known != unknown || known != disabled {
			t.Fatalf("%v: answers differ: known %q, unknown %q, disabled %q", sets, known, unknown, disabled)
		}
		if k, u := answer("1111", "authpwd", "wrong-pw"), answer("nobody", "authpwd", "wrong-pw"); k != u {
			t.Fatalf("%v: wrong password: known %q, unknown %q", sets, k, u)
		}
	}
}

// Issue 10 item 10: 53 recharge PIN guesses in 0.1 s found two PINs with
// the lockout at 5.
func TestPINGuessesLockOut(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"authlockoutfailures": "5"})
		id := v.user("1111", engine.TypeEndUser, 1)
		v.exec("INSERT INTO tb_pins (pin, value) VALUES ('77770050', 10), ('77770052', 10)")
		var answers []string
		for i := range 53 {
			answers = append(answers, v.as("1111", "charge", "pin", fmt.Sprintf("7777%04d", i)).Text)
		}
		for i, a := range answers {
			want := "ERROR: pin not usable"
			if i >= 5 {
				want = "ERROR: auth locked"
			}
			if !strings.HasPrefix(a, want) {
				t.Fatalf("guess %d answered %q, want %q", i+1, a, want)
			}
		}
		if v.credit(id) != 1 {
			t.Fatalf("credit %v: a guess found a PIN", v.credit(id))
		}
		// Guesses relayed by a portal on a trusted IP (never locked) stop
		// too: the user is locked.
		v.user("2222", engine.TypeEndUser, 1)
		for i := range 5 {
			v.serve(loopback, "charge", "targetuser", "2222", "pin", fmt.Sprintf("8888%04d", i))
		}
		wantErr(t, v.serve(loopback, "charge", "targetuser", "2222", "pin", "77770052"), "auth locked: too many failed attempts of user 2222")
		v.user("3333", engine.TypeEndUser, 1)
		wantOK(t, v.serve(loopback, "balance", "targetuser", "3333"), "Your credit is $1") // other users go on
	})
}

// Issue 10 item 17: newuseri credit=Inf (SQLite) and credit=NaN
// (PostgreSQL) were accepted.
func TestMoneyInputIsANumber(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"authlockoutfailures": "0"})
		id := fmt.Sprint(v.user("1111", engine.TypeEndUser, 1))
		for i, bad := range []string{"Inf", "NaN", "-Inf", "+Inf", "1e309", "0x10", "-5", "1.23456"} {
			// Unsigned: a new user's or server's credit.
			wantErr(t, v.serve(loopback, "newuseri", "u_username", fmt.Sprintf("money%d", i), "u_password", "money-pw1", "credit", bad), "credit")
			wantErr(t, v.serve(loopback, "addserver", "u_username", fmt.Sprintf("srv%d", i), "u_ip", "192.0.2.1", "u_credit", bad), "u_credit")
			if bad == "-5" {
				continue // signed below: a credit may be set or moved below 0
			}
			wantErr(t, v.serve(loopback, "setfield", "rowid", id, "fieldname", "credit", "fieldvalue", bad), "bad fieldvalue")
			wantErr(t, v.serve(loopback, "addcredit", "pin", "1111", "credit", bad), "credit")
			if bad != "1.23456" {
				wantErr(t, v.serve(loopback, "setfield", "table", "tb_users", "rowid", id, "fieldname", "credit", "fieldvalue", bad), "bad value")
			}
		}
		if n := v.count("SELECT COUNT(*) FROM tb_users WHERE username LIKE 'money%' OR username LIKE 'srv%'"); n != 0 {
			t.Fatalf("%d users created with bad credit", n)
		}
		if v.credit(mustID(t, id)) != 1 {
			t.Fatalf("credit %v", v.credit(mustID(t, id)))
		}
		wantOK(t, v.serve(loopback, "newuseri", "u_username", "moneyok", "u_password", "money-pw1", "credit", "5.25"), "OK: user added")
		wantOK(t, v.serve(loopback, "setfield", "rowid", id, "fieldname", "credit", "fieldvalue", "-2.5"), "OK: credit updated")
	})
}

func mustID(t *testing.T, s string) int64 {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
