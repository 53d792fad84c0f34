package switchboard_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/internal/mvtest"
	"mvapi/schema"
	"mvapi/switchboard"
)

func dbStatus(t *testing.T, db *schema.DB, user string) (int, string) {
	t.Helper()
	var st int
	var ip string
	if err := db.QueryRow(db.Dialect.Rebind("SELECT status, ip FROM tb_users WHERE username = ?"), user).Scan(&st, &ip); err != nil {
		t.Fatal(err)
	}
	return st, ip
}

func wantText(t *testing.T, what string, got format.Result, ok bool, prefix string) {
	t.Helper()
	if got.OK != ok || !strings.HasPrefix(got.Text, prefix) {
		t.Fatalf("%s: answer %q (ok=%v), want ok=%v starting %q", what, got.Text, got.OK, ok, prefix)
	}
}

// TestKamailioRegistrations: two sipgo phones register through the shipped
// kamailio.cfg with digest auth against tb_users; reguser, regstat,
// endpoints, verifyuser, presence_get and status see them at once; a wrong
// password, a disabled and an unknown user are refused by Kamailio; unreg
// removes one, a REGISTER with Expires 0 and an expiry take the others
// offline (tb_users.status too, kept by Kamailio's sqlops).
func TestKamailioRegistrations(t *testing.T) {
	needKamailio(t)
	forEachSwitchDB(t, func(t *testing.T, kind string) {
		sd := freshSwitchDB(t, kind)
		db := sd.db
		mvtest.MustUser(t, db, engine.NewUser{Username: "alice", Password: "alicepw1"})
		mvtest.MustUser(t, db, engine.NewUser{Username: "bob", Password: "bobpw123"})
		mvtest.MustUser(t, db, engine.NewUser{Username: "carol", Password: "carolpw1"})
		mvtest.MustExec(t, db, "UPDATE tb_users SET enabled = 0 WHERE username = ?", "carol")
		start := time.Now()
		k := startKamailio(t, sd)
		t.Logf("%s: kamailio answers its RPC %s after start", kind, time.Since(start).Round(time.Millisecond))
		e := mvtest.MustEngine(t, db, map[string]string{"switch": "kamailio", "kamrpc": k.rpcURL})

		wantText(t, "verifyuser before", api(e, "verifyuser", "username", "alice"), true, "OK: 1")
		alice := newPhone(t, k, "alice", "alicepw1")
		bob := newPhone(t, k, "bob", "bobpw123")
		regStart := time.Now()
		if c := alice.register(t, 300); c != 200 {
			t.Fatalf("alice REGISTER: %d", c)
		}
		t.Logf("%s: REGISTER with digest took %s", kind, time.Since(regStart).Round(time.Millisecond))
		if c := bob.register(t, 300); c != 200 {
			t.Fatalf("bob REGISTER: %d", c)
		}
		online := eventually(t, time.Second, "alice online", func() error {
			if r := api(e, "verifyuser", "username", "alice"); r.Text != "OK: 2" {
				return fmt.Errorf("verifyuser %q", r.Text)
			}
			return nil
		})
		t.Logf("%s: verifyuser online %s after 200 OK", kind, online.Round(time.Millisecond))
		// Kamailio answers 200 before its sqlops UPDATE runs.
		eventually(t, time.Second, "tb_users alice online (sqlops)", func() error {
			if st, ip := dbStatus(t, db, "alice"); st != 2 || ip != "127.0.0.1" {
				return fmt.Errorf("status %d ip %q, want 2 127.0.0.1", st, ip)
			}
			return nil
		})

		r := api(e, "reguser")
		wantText(t, "reguser", r, true, "OK: 2 registrations")
		if len(r.Rows) != 2 || r.Rows[0][0] != "alice" || r.Rows[1][0] != "bob" {
			t.Fatalf("reguser rows %v", r.Rows)
		}
		r = api(e, "reguser", "usr", "alice")
		wantText(t, "reguser alice", r, true, "OK: 1 registrations")
		row := r.Rows[0]
		exp, _ := strconv.Atoi(row[4])
		if !strings.Contains(row[1], "alice@127.0.0.1:"+strconv.Itoa(alice.port)) || !strings.Contains(row[2], "127.0.0.1:"+strconv.Itoa(alice.port)) ||
			row[3] != "mvtest-alice" || exp < 200 || exp > 300 {
			t.Fatalf("reguser alice row %q", row)
		}
		wantText(t, "reguser all", api(e, "reguser", "usr", "all"), true, "OK: 2 registrations")
		wantText(t, "regstat", api(e, "regstat"), true, "OK: registered users: 2, contacts: 2")
		wantText(t, "endpoints", api(e, "endpoints"), true, "OK: 2 endpoints")
		wantText(t, "epreg", api(e, "epreg"), true, "OK: 2 registrations")
		wantText(t, "presence_get", api(e, "presence_get", "userlist", "alice,bob,carol"), true, "OK: puserlist: alice:online,bob:online,carol:unknown")
		key := mvtest.APIKey(t, db)
		wantText(t, "status", api(e, "status", "authkey", key, "authid", "alice", "authpwd", "alicepw1"), true, "OK: 2")

		// Refused by Kamailio: a wrong password, a disabled user, a user
		// mvapi does not know.
		for _, p := range []*phone{newPhone(t, k, "alice", "wrong-pw"), newPhone(t, k, "carol", "carolpw1"), newPhone(t, k, "nosuch", "whatever1")} {
			if c := p.register(t, 300); c != 401 && c != 403 {
				t.Fatalf("REGISTER %s/%s: %d, want 401 or 403", p.user, p.pwd, c)
			}
		}
		wantText(t, "regstat after refusals", api(e, "regstat"), true, "OK: registered users: 2, contacts: 2")

		// unreg: at once, and bob goes offline.
		wantText(t, "unreg bob", api(e, "unreg", "username", "bob"), true, "OK: 1 registrations removed")
		wantText(t, "verifyuser bob", api(e, "verifyuser", "username", "bob"), true, "OK: 1")
		if st, _ := dbStatus(t, db, "bob"); st != 0 {
			t.Fatalf("tb_users bob status %d after unreg", st)
		}
		wantText(t, "reguser after unreg", api(e, "reguser"), true, "OK: 1 registrations")
		wantText(t, "unreg unknown", api(e, "unreg", "username", "nosuch"), false, "ERROR: no such user: nosuch")
		wantText(t, "reguser unknown", api(e, "reguser", "usr", "nosuch"), false, "ERROR: no such user: nosuch")

		// The phone unregisters itself.
		if c := alice.register(t, 0); c != 200 {
			t.Fatalf("alice unREGISTER: %d", c)
		}
		wantText(t, "verifyuser alice after unregister", api(e, "verifyuser", "username", "alice"), true, "OK: 1")
		eventually(t, 5*time.Second, "tb_users alice offline", func() error {
			if st, _ := dbStatus(t, db, "alice"); st != 0 {
				return fmt.Errorf("status %d", st)
			}
			return nil
		})

		// A registration that expires: Kamailio's timer (5 s) removes it
		// and its event route marks the user offline.
		if c := bob.register(t, 2); c != 200 {
			t.Fatalf("bob REGISTER 2s: %d", c)
		}
		wantText(t, "verifyuser bob registered", api(e, "verifyuser", "username", "bob"), true, "OK: 2")
		gone := eventually(t, 20*time.Second, "bob expired", func() error {
			if r := api(e, "verifyuser", "username", "bob"); r.Text != "OK: 1" {
				return fmt.Errorf("verifyuser %q", r.Text)
			}
			if st, _ := dbStatus(t, db, "bob"); st != 0 {
				return fmt.Errorf("tb_users status %d", st)
			}
			return nil
		})
		t.Logf("%s: a 2 s registration was offline %s later", kind, gone.Round(100*time.Millisecond))
		wantText(t, "unreg all", api(e, "unreg", "username", "all"), true, "OK: 0 registrations removed")
	})
}

// TestKamailioDown: with switch=kamailio and nothing at kamrpc, the
// registration entries answer a clear ERROR at once, well within
// requesttimeout; switch=none keeps the answers without a switch.
func TestKamailioDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/RPC"
	l.Close()
	db := mvtest.MustDB(t)
	mvtest.MustUser(t, db, engine.NewUser{Username: "alice", Password: "alicepw1"})
	e := mvtest.MustEngine(t, db, map[string]string{"switch": "kamailio", "kamrpc": dead, "requesttimeout": "3"})
	for _, c := range [][]string{{"verifyuser", "username", "alice"}, {"reguser"}, {"regstat"}, {"unreg", "username", "alice"}, {"presence_get", "userlist", "alice,bob"}} {
		start := time.Now()
		r := api(e, c[0], c[1:]...)
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("%s took %s", c[0], took)
		}
		wantText(t, c[0], r, false, "ERROR: the switch (Kamailio) does not answer")
	}
	// A call while Kamailio is down fails at once, and nothing stays open.
	st := mvtest.MustStack(t, db, map[string]string{"switch": "kamailio", "kamrpc": dead, "requesttimeout": "3"}, actions.Deps{})
	st.Start()
	start := time.Now()
	r := api(st.Engine, "p2p", "anum", "1001", "bnum", "1002", "waitfor", "1")
	if took := time.Since(start); took > 3*time.Second || !strings.Contains(r.Text, "failed: the switch does not answer") {
		t.Fatalf("p2p with Kamailio down: %q after %s", r.Text, took)
	}
	var open int
	db.Get(&open, "SELECT COUNT(*) FROM tb_switchrequests WHERE status < 4")
	if open != 0 {
		t.Fatalf("%d requests left open", open)
	}
	off := mvtest.MustEngine(t, mvtest.MustDB(t), nil)
	wantText(t, "reguser without switch", api(off, "reguser"), true, "OK: 0 registered users") // from tb_users (registrar.go)
	wantText(t, "endpoints without switch", api(off, "endpoints"), false, "ERROR: not supported: endpoints")
	wantText(t, "unreg without switch", api(off, "unreg", "username", "bob"), true, "OK: request ")
}

// TestShippedConfig: Render replaces the five settings of the shipped
// kamailio.cfg and Kamailio's own check accepts the result.
func TestShippedConfig(t *testing.T) {
	cfg, err := switchboard.Render(switchboard.Settings{DBURL: "sqlite:///tmp/x.db", DBModule: "db_sqlite.so", SIPAddr: "127.0.0.1:15060", RPCAddr: "127.0.0.1:15071"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"!MV_DBURL!sqlite:///tmp/x.db!g"`, `"!MV_RPC_PORT!15071!g"`, `"!MV_SIP_ADDR!127.0.0.1:15060!g"`} {
		if !strings.Contains(cfg, want) {
			t.Fatalf("rendered config lacks %s", want)
		}
	}
	if _, err := switchboard.Render(switchboard.Settings{DBURL: "x!y", DBModule: "m", SIPAddr: "a:1", RPCAddr: "b:2"}); err == nil {
		t.Fatal("a ! in a setting was accepted")
	}
	bin := needKamailio(t)
	f := t.TempDir() + "/k.cfg"
	writeFile(t, f, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "-c", "-f", f).CombinedOutput(); err != nil {
		t.Fatalf("kamailio -c: %v\n%s", err, out)
	}
}
