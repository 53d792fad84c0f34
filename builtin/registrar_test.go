package builtin_test

import (
	"testing"
	"time"

	"mvapi/engine"
)

// reguser and regstat use the reference's definition of registered, the
// one apidefneedregister, status and verifyuser use.
func TestRegUserAndRegStat(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("boss", engine.TypeAdmin, 0)
		now := time.Now().UTC()
		reg := func(name string, status int, at time.Time, extra string) {
			id := v.user(name, 0, 0)
			v.exec("UPDATE tb_users SET status = ?, statusdate = ?, ip = '10.0.0.9'"+extra+" WHERE id = ?", status, at, id)
		}
		reg("ria", 1, now, "")
		reg("rob", 3, now.Add(-time.Hour), "")
		reg("stale", 2, now.Add(-3*time.Hour), "")
		reg("offu", 2, now, ", enabled = 0")
		reg("paused", 2, now, ", temporarydisabled = 1")
		reg("never", 0, now, "")

		wantOK(t, v.as("boss", "reguser"), "OK: 2 registered users: ria,rob")
		all := v.as("boss", "reguser", "usr", "all")
		wantOK(t, all, "OK: 2 registered users")
		if len(all.Rows) != 2 || all.Rows[0][0] != "ria" || all.Rows[1][1] != "3" || all.Rows[0][3] != "10.0.0.9" {
			t.Fatalf("reguser all: %v", all.Rows)
		}
		wantOK(t, v.as("boss", "reguser", "usr", "ria"), "OK: ria: registered")
		for _, u := range []string{"stale", "offu", "paused", "never"} {
			wantOK(t, v.as("boss", "reguser", "usr", u), "OK: "+u+": not registered")
		}
		wantErr(t, v.as("boss", "reguser", "usr", "nobody"), "no such user")
		wantOK(t, v.as("boss", "reguser", "param1", "rob"), "OK: rob: registered")
		wantOK(t, v.as("boss", "regstat"), "OK: registered users: 2, enabled users: 5, all users: 7")
		wantErr(t, v.as("ria", "reguser"), "")

		// status agrees: registered (status 1 with a fresh date) is online.
		wantOK(t, v.as("ria", "status"), "OK: 2")
		wantOK(t, v.as("stale", "status"), "OK: 1")
	})
}

func TestRechargeIsCharge(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("rita", 0, 1)
		v.exec("INSERT INTO tb_pins (pin, value) VALUES ('13571357', 2)")
		wantOK(t, v.as("rita", "recharge", "pin", "13571357"), "OK: charged 2 USD")
		wantErr(t, v.as("rita", "recharge", "pin", "13571357"), "")
	})
}
