package builtin_test

import (
	"strings"
	"testing"

	"mvapi/engine"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		for _, n := range []string{"paula", "paulo", "peter"} {
			v.user(n, 0, 0)
		}
		v.exec("UPDATE tb_users SET name = 'Paul Smith', email = 'p@example.com' WHERE username = 'peter'")
		other := v.user("pauline", 0, 0)
		v.exec("UPDATE tb_users SET parentid = 77 WHERE id = ?", other) // another reseller's user
		v.exec("UPDATE tb_users SET enabled = 0 WHERE username = 'paulo'")

		res := v.as("paula", "search", "search", "paul")
		wantOK(t, res, "OK: 2 users")
		if got := strings.Join(column(t, res, "username"), ","); got != "paula,peter" {
			t.Fatalf("enduser found %s, want paula,peter (same reseller, enabled)", got)
		}
		if strings.Contains(strings.Join(res.Columns, ","), "email") {
			t.Fatal("an enduser sees emails")
		}
		res = v.as("root", "search", "param1", "PAUL", "maxcount", "10")
		wantOK(t, res, "OK: 4 users")
		if got := strings.Join(column(t, res, "email"), ","); !strings.Contains(got, "p@example.com") {
			t.Fatalf("admin emails %q", got)
		}
		wantOK(t, v.as("root", "search", "search", "pau_"), "OK: 0 users") // _ is not a wildcard
		wantErr(t, v.as("paula", "search", "search", "p"), "missing parameter: search")
		wantErr(t, v.as("paula", "search", "search", "pa", "maxcount", "1000"), "bad maxcount")
	})
}

func TestCLI(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("quin", 0, 0)
		v.user("rosa", 0, 0)
		wantOK(t, v.as("quin", "cli", "num", "+36 30 123-4567"), "OK: cli added: +36301234567")
		wantOK(t, v.as("quin", "cli", "param1", "+36301234567"), "OK: cli already added")
		wantErr(t, v.as("rosa", "cli", "anum", "+36301234567"), "already belongs to another account")
		wantErr(t, v.as("rosa", "cli", "num", "12ab"), "bad num")
		wantErr(t, v.as("rosa", "cli"), "missing parameter: num")
		if n := v.count("SELECT COUNT(*) FROM tb_clis"); n != 1 {
			t.Fatalf("%d cli rows", n)
		}
	})
}

func TestCallbackNumberAndForward(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"callbackaccessnumber": "+3612345678"})
		v.user("sara", 0, 5)
		wantOK(t, v.as("sara", "addcallbacknumber", "num", "36201112222"), "OK: callback number set: 36201112222")
		wantErr(t, v.as("sara", "addcallbacknumber", "num", "x"), "bad num")
		// callback without a number calls the stored one.
		wantOK(t, v.as("sara", "callback"), "OK: request ")
		var anum string
		v.db.Get(&anum, "SELECT anum FROM tb_switchrequests WHERE kind = 'callback'")
		if anum != "36201112222" {
			t.Fatalf("callback queued for %q", anum)
		}
		wantOK(t, v.as("sara", "callforward", "anum", "2222", "cnum", "36309998888"), "OK: callforward always=2222, busy=, noanswer=36309998888")
		wantOK(t, v.as("sara", "callforward", "bnum", "voicemail", "anum", ""), "OK: callforward always=, busy=voicemail, noanswer=36309998888")
		wantErr(t, v.as("sara", "callforward"), "missing parameter: anum")
		wantErr(t, v.as("sara", "callforward", "anum", "a b;c"), "bad anum")
		wantOK(t, v.as("sara", "callbackaccessnumber"), "OK: +3612345678")
		v.exec("UPDATE tb_users SET pin = '998877' WHERE username = 'sara'")
		res := v.as("sara", "sendccinfo")
		wantOK(t, res, "OK: username=sara, pin=998877, accessnumber=+3612345678, credit=5 USD")

		v2 := newEnv(t, nil)
		v2.user("sara", 0, 5)
		wantErr(t, v2.as("sara", "callbackaccessnumber"), "no callback access number configured")
	})
}
