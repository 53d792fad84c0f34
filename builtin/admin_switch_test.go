package builtin_test

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
)

// TestUnregAndDiscCallQueue: both write a request row for the switch.
func TestUnregAndDiscCallQueue(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		// The reference's example: apientry=unreg&param1=alma&param3=1.
		wantOK(t, v.as("root", "unreg", "param1", "alma", "param3", "1"), "OK: request ")
		wantOK(t, v.as("root", "disccall", "dbcallid", "4711"), "OK: request ")
		var kinds, anums, opts []string
		if err := v.db.Select(&kinds, "SELECT kind FROM tb_switchrequests ORDER BY id"); err != nil {
			t.Fatal(err)
		}
		v.db.Select(&anums, "SELECT anum FROM tb_switchrequests ORDER BY id")
		v.db.Select(&opts, "SELECT options FROM tb_switchrequests ORDER BY id")
		if strings.Join(kinds, ",") != "unreg,disccall" || anums[0] != "alma" || opts[0] != "mode=1" || opts[1] != "dbcallid=4711" {
			t.Fatalf("queue %v %v %v", kinds, anums, opts)
		}
		wantErr(t, v.as("root", "unreg"), "missing parameter: username")
		wantErr(t, v.as("root", "unreg", "username", "all", "ip", "1.2.3"), "bad ip")
		wantErr(t, v.as("root", "unreg", "username", "a b"), "bad username")
		wantErr(t, v.as("root", "disccall"), "missing parameter: dbcallid")
	})
}

// TestCmdEntry: off unless allowcmdaction=1; then only an authenticated
// admin from an allowed IP runs a program (no shell).
func TestCmdEntry(t *testing.T) {
	t.Parallel()
	v, _ := adminEnv(t, nil)
	v.user("root", engine.TypeAdmin, 0)
	admin := []string{"authkey", v.key, "authid", "root", "authpwd", pwd("root")}
	wantErr(t, v.serve("127.0.0.1", "cmd", append(admin, "txt", "true")...), "not supported: cmd (commands are off")

	on, _ := adminEnv(t, map[string]string{"allowcmdaction": "1"})
	on.user("root", engine.TypeAdmin, 0)
	admin[1] = on.key
	mark := filepath.Join(t.TempDir(), "ran")
	wantOK(t, on.serve("127.0.0.1", "cmd", append(admin, "txt", "touch "+mark)...), "OK: command done")
	if _, err := os.Stat(mark); err != nil {
		t.Fatal("command did not run")
	}
	wantErr(t, on.serve("127.0.0.1", "cmd", "txt", "touch "+mark+"2"), "cmd needs an authenticated admin user")
	wantErr(t, on.serve(remoteIP, "cmd", append(admin, "txt", "touch "+mark+"3")...), "ip not allowed")
	wantErr(t, on.serve("127.0.0.1", "cmd", append(admin, "txt", "no-such-program-x")...), "not found")
	if _, err := os.Stat(mark + "2"); err == nil {
		t.Fatal("refused command ran")
	}
}

// TestDBRefusesSupportOnTheConsole: with apitrustfromconsole=2 a support
// login gets admin rights on the console, yet db (admins only, not
// support) and cmd still refuse it; an admin login runs db.
func TestDBRefusesSupportOnTheConsole(t *testing.T) {
	t.Parallel()
	v, _ := adminEnv(t, map[string]string{"apitrustfromconsole": "2", "allowcmdaction": "1"})
	v.user("root", engine.TypeAdmin, 0)
	v.user("sue", engine.TypeSupport, 0)
	console := func(user, entry string, kv ...string) string {
		u, err := v.e.ConsoleLogin(context.Background(), user, pwd(user), netip.MustParseAddr(remoteIP))
		if err != nil {
			t.Fatal(err)
		}
		params := []wire.Param{{Name: "apientry", Value: entry}}
		for i := 0; i+1 < len(kv); i += 2 {
			params = append(params, wire.Param{Name: kv[i], Value: kv[i+1]})
		}
		req := engine.NewRequest(params, netip.MustParseAddr(remoteIP), "console")
		req.Session = u
		return v.e.Serve(context.Background(), req).Text
	}
	if got := console("sue", "db", "txt", "DELETE FROM tb_users"); !strings.HasPrefix(got, "ERROR: access denied: db needs an authenticated admin user") {
		t.Fatalf("support on the console: %q", got)
	}
	if got := console("sue", "cmd", "txt", "true"); !strings.HasPrefix(got, "ERROR: ") {
		t.Fatalf("support cmd on the console: %q", got)
	}
	if got := console("root", "db", "txt", "SELECT COUNT(*) AS n FROM tb_users"); got != "OK: 1 rows" {
		t.Fatalf("admin on the console: %q", got)
	}
	if v.count("SELECT COUNT(*) FROM tb_users") != 2 {
		t.Fatal("users deleted")
	}
}
