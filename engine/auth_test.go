package engine_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/internal/webphone"
	"mvapi/schema"
)

type fixture struct {
	db  *schema.DB
	key string
}

func newFixture(t testing.TB) *fixture {
	db := mvtest.MustDB(t)
	f := &fixture{db: db, key: mvtest.APIKey(t, db)}
	mvtest.MustUser(t, db, engine.NewUser{Username: "enduser", Password: "endpass1", Credit: 5, PIN: "90001"})
	mvtest.MustUser(t, db, engine.NewUser{Username: "admin", Password: "adminpw1", Type: engine.TypeAdmin})
	mvtest.MustUser(t, db, engine.NewUser{Username: "reseller", Password: "respass1", Type: engine.TypeReseller})
	mvtest.MustUser(t, db, engine.NewUser{Username: "support", Password: "suppass1", Type: engine.TypeSupport})
	mvtest.MustUser(t, db, engine.NewUser{Username: "srvadmin", Password: "srvpass1", Type: engine.TypeSrvAdmin})
	return f
}

// serve runs one request from ip through the pipeline.
func serve(e *engine.Engine, ip string, kv ...string) string {
	params := make([]wire.Param, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, wire.Param{Name: strings.ToLower(kv[i]), Value: kv[i+1]})
	}
	req := engine.NewRequest(params, netip.MustParseAddr(ip), "internal")
	return e.Serve(context.Background(), req).Text
}

func TestAdminTrustByIP(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		sets map[string]string
		ip   string
		kv   []string
		want string
	}{
		{"loopback is admin without credentials", nil, "127.0.0.1", nil, "OK: mvapi"},
		{"ipv6 loopback too", nil, "::1", nil, "OK: mvapi"},
		{"LAN needs credentials by default", nil, "192.168.1.5", nil, "ERROR: auth failed"},
		{"public IP needs credentials", nil, "203.0.113.9", nil, "ERROR: auth failed"},
		{"LAN trusted with trustlanip=1", map[string]string{"trustlanip": "1"}, "192.168.1.5", nil, "OK: mvapi"},
		{"trustediplist CIDR", map[string]string{"trustediplist": "203.0.113.0/24"}, "203.0.113.9", nil, "OK: mvapi"},
		{"allowtrustedip=0 trusts nobody", map[string]string{"allowtrustedip": "0"}, "127.0.0.1", nil, "ERROR: auth failed"},
		{"apideftrustadmin=0: trust gives no admin", map[string]string{"apideftrustadmin": "0"}, "127.0.0.1", nil, "ERROR: auth failed"},
		{"apideftrustadmin=3: credentials always", map[string]string{"apideftrustadmin": "3"}, "127.0.0.1", nil, "ERROR: auth failed"},
		{"apideftrustadmin=3 with credentials", map[string]string{"apideftrustadmin": "3"}, "127.0.0.1", []string{"authid", "admin", "authpwd", "adminpw1"}, "OK: mvapi"},
		{"admin credentials from anywhere", nil, "203.0.113.9", []string{"authid", "admin", "authpwd", "adminpw1"}, "OK: mvapi"},
		{"apideftrustadmin=2: admin from trusted IPs only", map[string]string{"apideftrustadmin": "2"}, "203.0.113.9", []string{"authid", "admin", "authpwd", "adminpw1"}, "ERROR: auth failed: ip not allowed"},
		{"apideftrustadmin=4: IP and credentials", map[string]string{"apideftrustadmin": "4"}, "203.0.113.9", []string{"authid", "admin", "authpwd", "adminpw1"}, "ERROR: auth failed: ip not allowed"},
		{"apideftrustadmin=4 from loopback with credentials", map[string]string{"apideftrustadmin": "4"}, "127.0.0.1", []string{"authid", "admin", "authpwd", "adminpw1"}, "OK: mvapi"},
		{"wrong password from loopback still fails", nil, "127.0.0.1", []string{"authid", "admin", "authpwd", "wrong"}, "ERROR: auth failed: wrong user or password"},
		{"apitrustediponly", map[string]string{"apitrustediponly": "1"}, "203.0.113.9", []string{"authid", "admin", "authpwd", "adminpw1"}, "ERROR: auth failed: ip not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := mvtest.MustEngine(t, f.db, tc.sets)
			got := serve(e, tc.ip, append([]string{"apientry", "version", "authkey", f.key}, tc.kv...)...)
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

func TestUserLevels(t *testing.T) {
	f := newFixture(t)
	e := mvtest.MustEngine(t, f.db, map[string]string{"allowtrustedip": "0"})
	creds := map[string]string{"enduser": "endpass1", "admin": "adminpw1", "reseller": "respass1", "support": "suppass1", "srvadmin": "srvpass1"}
	allowed := map[int][]string{
		4:  {"srvadmin"},
		6:  {"srvadmin", "admin"},
		8:  {"srvadmin", "admin", "reseller"},
		10: {"srvadmin", "admin", "reseller", "support"},
		11: {"srvadmin", "admin", "reseller", "support", "enduser"},
		12: {"srvadmin", "admin", "reseller", "support", "enduser"},
	}
	for level := range allowed {
		mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, req_user, customsql) VALUES (?, ?, 'SELECT ''in''')", fmt.Sprintf("lvl%d", level), level)
	}
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	for level, who := range allowed {
		for user, pwd := range creds {
			got := serve(e, "203.0.113.9", "apientry", fmt.Sprintf("lvl%d", level), "authkey", f.key, "authid", user, "authpwd", pwd)
			want := contains(who, user)
			if strings.HasPrefix(got, "OK: in") != want {
				t.Errorf("level %d user %s: got %q, allowed=%v", level, user, got, want)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUserModesAndPIN(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		sets map[string]string
		kv   []string
		want string
	}{
		{"id as authid (mode 2)", nil, []string{"authid", "1", "authpwd", "endpass1"}, "Your credit"},
		{"PIN as password (mode 2)", nil, []string{"authid", "enduser", "authpwd", "90001"}, "Your credit"},
		{"PIN alone is not enough in mode 2", nil, []string{"authid", "90001"}, "ERROR: auth failed"},
		{"PIN alone in mode 4", map[string]string{"apiv2auth": "4"}, []string{"authid", "90001"}, "Your credit"},
		{"mode 6 refuses the id", map[string]string{"apiv2auth": "6"}, []string{"authid", "1", "authpwd", "endpass1"}, "ERROR: auth failed"},
		{"mode 6 refuses the PIN as password", map[string]string{"apiv2auth": "6"}, []string{"authid", "enduser", "authpwd", "90001"}, "ERROR: auth failed"},
		{"apialtauth=0 is strict", map[string]string{"apialtauth": "0"}, []string{"authid", "enduser", "authpwd", "90001"}, "ERROR: auth failed"},
		{"md5 over the PIN", nil, []string{"authid", "enduser", "authsalt1", "9", "authmd5", engine.AuthMD5("enduser", "90001", "", "9")}, "Your credit"},
		{"no secret", nil, []string{"authid", "enduser"}, "ERROR: auth failed: send authmd5 or authpwd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sets := map[string]string{"allowtrustedip": "0"}
			for k, v := range tc.sets {
				sets[k] = v
			}
			e := mvtest.MustEngine(t, f.db, sets)
			got := serve(e, "203.0.113.9", append([]string{"apientry", "balance", "authkey", f.key}, tc.kv...)...)
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

func TestCreditRegistrationAndIPChecks(t *testing.T) {
	f := newFixture(t)
	mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql, req_user_credit) VALUES ('rich', 'SELECT 1', 10)")
	mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql, req_user_credit) VALUES ('mincredit', 'SELECT 1', 2)")
	mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql, req_user_register) VALUES ('reg', 'SELECT 1', 1)")
	mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql, req_user_register) VALUES ('regip', 'SELECT 1', 2)")
	mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql, req_ip) VALUES ('iponly', 'SELECT 1', 1)")
	mvtest.MustExec(t, f.db, "INSERT INTO tb_api (fname, customsql, enabled) VALUES ('off', 'SELECT 1', 0)")
	e := mvtest.MustEngine(t, f.db, map[string]string{"allowtrustedip": "0", "mincreditonroute": "4", "apiv2ipauth": "198.51.100.7"})
	call := func(entry, ip string) string {
		return serve(e, ip, "apientry", entry, "authkey", f.key, "authid", "enduser", "authpwd", "endpass1")
	}
	for _, c := range []struct{ entry, ip, want string }{
		{"rich", "203.0.113.9", "ERROR: access denied: not enough credit"},
		{"mincredit", "203.0.113.9", "OK: 1"},
		{"reg", "203.0.113.9", "ERROR: access denied: user not registered"},
		{"iponly", "203.0.113.9", "ERROR: auth failed: ip not allowed"},
		{"iponly", "198.51.100.7", "OK: 1"},
		{"off", "203.0.113.9", "ERROR: apientry disabled: off"},
	} {
		if got := call(c.entry, c.ip); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s from %s: got %q, want %q", c.entry, c.ip, got, c.want)
		}
	}
	mvtest.MustExec(t, f.db, "UPDATE tb_users SET postpaid = 1 WHERE username = 'enduser'")
	if got := call("rich", "203.0.113.9"); got != "OK: 1" {
		t.Errorf("postpaid user: %q", got)
	}
	mvtest.MustExec(t, f.db, "UPDATE tb_users SET status = 2, statusdate = ?, ip = '203.0.113.9' WHERE username = 'enduser'", time.Now().UTC())
	if got := call("reg", "203.0.113.9"); got != "OK: 1" {
		t.Errorf("registered user: %q", got)
	}
	if got := call("regip", "203.0.113.10"); !strings.HasPrefix(got, "ERROR: access denied: request not from the registered IP") {
		t.Errorf("registered elsewhere: %q", got)
	}
	if got := call("regip", "203.0.113.9"); got != "OK: 1" {
		t.Errorf("registered here: %q", got)
	}
	mvtest.MustExec(t, f.db, "UPDATE tb_users SET statusdate = ? WHERE username = 'enduser'", time.Now().UTC().Add(-3*time.Hour))
	if got := call("reg", "203.0.113.9"); !strings.HasPrefix(got, "ERROR: access denied: user not registered") {
		t.Errorf("stale registration: %q", got)
	}
}

func TestTargetUserForAdmins(t *testing.T) {
	f := newFixture(t)
	e := mvtest.MustEngine(t, f.db, map[string]string{"allowtrustedip": "0"})
	got := serve(e, "203.0.113.9", "apientry", "balance", "authkey", f.key, "authid", "admin", "authpwd", "adminpw1", "targetuser", "enduser")
	if got != "Your credit is $5" {
		t.Fatalf("admin as enduser: %q", got)
	}
	got = serve(e, "203.0.113.9", "apientry", "balance", "authkey", f.key, "authid", "reseller", "authpwd", "respass1", "targetuser", "enduser")
	if got != "Your credit is $0" {
		t.Fatalf("targetuser must be ignored for non-admins: %q", got)
	}
}

func TestMD5Formulas(t *testing.T) {
	// Vectors computed independently: md5("ck5Gp" + "1111" + "pass" + "" + "123") etc.
	if got, want := engine.AuthMD5("1111", "pass", "", "123"), engine.MD5Hex("ck5Gp1111pass123"); got != want {
		t.Fatalf("ck5Gp: %s != %s", got, want)
	}
	if got, want := engine.MD5Hex(""), "d41d8cd98f00b204e9800998ecf8427e"; got != want {
		t.Fatalf("md5 of empty: %s", got)
	}
	inner := engine.MD5Hex("tU29m" + "u" + "p" + "s1")
	if got, want := webphone.AuthMD5v3("u", "p", "srv", "s1", "s2", "NONCE"), "authv3_"+engine.MD5Hex(inner+"s2"+"srv"+"NONCE"); got != want {
		t.Fatalf("v3: %s != %s", got, want)
	}
}
