package switchboard_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestKamailioP2P: p2p with waitfor=1 bridges two registered sipgo phones
// through Kamailio by third-party call control (flow I: A is invited
// without SDP, B with A's offer, A's ACK carries B's answer); the call is
// in tb_currentcalls while it lasts; A's hang-up ends B's leg and writes a
// CDR with the duration; disccall ends a second call; a party that is not
// registered fails the request at once.
func TestKamailioP2P(t *testing.T) {
	needKamailio(t)
	forEachSwitchDB(t, func(t *testing.T, kind string) {
		sd := freshSwitchDB(t, kind)
		db := sd.db
		mvtest.MustUser(t, db, engine.NewUser{Username: "1001", Password: "alicepw1", Credit: 10})
		mvtest.MustUser(t, db, engine.NewUser{Username: "1002", Password: "bobpw123"})
		mvtest.MustUser(t, db, engine.NewUser{Username: "1003", Password: "davepw12"})
		k := startKamailio(t, sd)
		st := mvtest.MustStack(t, db, map[string]string{"switch": "kamailio", "kamrpc": k.rpcURL, "kamsip": k.sip}, actions.Deps{})
		st.Start()
		e := st.Engine
		alice, bob := newPhone(t, k, "1001", "alicepw1"), newPhone(t, k, "1002", "bobpw123")
		for _, p := range []*phone{alice, bob} {
			if c := p.register(t, 300); c != 200 {
				t.Fatalf("%s REGISTER: %d", p.user, c)
			}
		}
		start := time.Now()
		r := api(e, "p2p", "anum", "1001", "bnum", "1002", "waitfor", "1")
		took := time.Since(start)
		wantText(t, "p2p", r, true, "OK: request ")
		if !strings.HasSuffix(r.Text, " connected") {
			t.Fatalf("p2p: %q", r.Text)
		}
		t.Logf("%s: p2p waitfor=1 answered connected in %s", kind, took.Round(time.Millisecond))
		ai, aa, _ := alice.seen()
		bi, ba, _ := bob.seen()
		if len(ai) != 1 || ai[0] != "" || len(bi) != 1 || !strings.Contains(bi[0], "o=1001") {
			t.Fatalf("INVITEs: alice %q bob %q", ai, bi)
		}
		eventually(t, 2*time.Second, "ACKs", func() error {
			_, aa, _ = alice.seen()
			_, ba, _ = bob.seen()
			if len(aa) != 1 || !strings.Contains(aa[0], "o=1002") || len(ba) != 1 {
				return fmt.Errorf("ACKs: alice %q bob %q", aa, ba)
			}
			return nil
		})
		var current int
		db.Get(&current, "SELECT COUNT(*) FROM tb_currentcalls")
		if current != 1 {
			t.Fatalf("tb_currentcalls: %d rows", current)
		}

		time.Sleep(1200 * time.Millisecond)
		alice.hangup(t)
		eventually(t, 5*time.Second, "bob's leg ended and the CDR written", func() error {
			if _, _, byes := bob.seen(); byes != 1 {
				return fmt.Errorf("bob got %d BYEs", byes)
			}
			var n int
			db.Get(&n, "SELECT COUNT(*) FROM tb_cdrs")
			if n != 1 {
				return fmt.Errorf("%d CDRs", n)
			}
			return nil
		})
		var cdr struct {
			Caller   string `db:"caller"`
			Called   string `db:"called"`
			Duration int    `db:"duration"`
			CallID   string `db:"sipcallid"`
		}
		if err := db.Get(&cdr, "SELECT caller, called, duration, sipcallid FROM tb_cdrs"); err != nil {
			t.Fatal(err)
		}
		if cdr.Caller != "1001" || cdr.Called != "1002" || cdr.Duration < 1 || cdr.Duration > 3 || cdr.CallID == "" {
			t.Fatalf("CDR %+v", cdr)
		}
		key := mvtest.APIKey(t, db)
		wantText(t, "cdr", api(e, "cdr", "authkey", key, "authid", "1001", "authpwd", "alicepw1"), true, "OK: 1 calls")
		db.Get(&current, "SELECT COUNT(*) FROM tb_currentcalls")
		if current != 0 {
			t.Fatalf("tb_currentcalls after hang-up: %d rows", current)
		}
		id := strings.Fields(r.Text)[2]
		var result string
		db.Get(&result, db.Dialect.Rebind("SELECT result FROM tb_switchrequests WHERE id = ?"), id)
		if !strings.HasPrefix(result, "1001 hung up after") {
			t.Fatalf("request result %q", result)
		}

		// disccall ends a call by its tb_currentcalls id.
		wantText(t, "second p2p", api(e, "p2p", "anum", "1001", "bnum", "1002", "waitfor", "1"), true, "OK: request ")
		var ccID int64
		if err := db.Get(&ccID, "SELECT id FROM tb_currentcalls"); err != nil {
			t.Fatal(err)
		}
		wantText(t, "disccall", api(e, "disccall", "dbcallid", strconv.FormatInt(ccID, 10), "waitfor", "2"), true, "OK: request ")
		eventually(t, 5*time.Second, "both legs ended", func() error {
			_, _, ab := alice.seen()
			_, _, bb := bob.seen()
			if ab != 1 || bb != 2 {
				return fmt.Errorf("BYEs alice %d bob %d", ab, bb)
			}
			return nil
		})

		// Credit: a caller whose credit does not cover a minute at the
		// destination's rate is refused before anything rings.
		mvtest.MustUser(t, db, engine.NewUser{Username: "1009", Password: "poorpw12", Credit: 0.5})
		mvtest.MustExec(t, db, "INSERT INTO tb_rates (prefix, destination, price, currency) VALUES (?, ?, ?, ?)", "100", "Local", 1, "USD")
		wantText(t, "p2p without credit", api(e, "p2p", "authkey", key, "authid", "1009", "authpwd", "poorpw12", "anum", "1001", "bnum", "1002"),
			false, "ERROR: not enough credit for 1002 (Local): 1 USD per minute")
		mvtest.MustExec(t, db, "UPDATE tb_users SET credit = 5 WHERE username = ?", "1009")
		wantText(t, "p2p with credit", api(e, "p2p", "authkey", key, "authid", "1009", "authpwd", "poorpw12", "anum", "1001", "bnum", "1002", "waitfor", "1"),
			true, "OK: request ")
		eventually(t, 5*time.Second, "call up", func() error {
			var n int
			db.Get(&n, "SELECT COUNT(*) FROM tb_currentcalls")
			if n != 1 {
				return fmt.Errorf("%d current calls", n)
			}
			return nil
		})
		bob.hangup(t)
		eventually(t, 5*time.Second, "call down", func() error {
			var n int
			db.Get(&n, "SELECT COUNT(*) FROM tb_currentcalls")
			if n != 0 {
				return fmt.Errorf("%d current calls", n)
			}
			return nil
		})

		// A party that is not registered: a clear failure at once.
		start = time.Now()
		wantText(t, "p2p unregistered", api(e, "p2p", "anum", "1001", "bnum", "1003", "waitfor", "1"), false, "ERROR: request ")
		if r := api(e, "p2p", "anum", "1001", "bnum", "1003", "waitfor", "1"); !strings.Contains(r.Text, "1003 is not registered") {
			t.Fatalf("p2p unregistered: %q", r.Text)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("unregistered party took %s", time.Since(start))
		}
		var open int
		db.Get(&open, "SELECT COUNT(*) FROM tb_switchrequests WHERE status < 4")
		if open != 0 {
			t.Fatalf("%d requests left open", open)
		}
	})
}

// TestStaleCallsClosed: a request a stopped node left connected (its
// updated time no longer renewed) is closed as failed by another node,
// and its tb_currentcalls row removed; a live one stays.
func TestStaleCallsClosed(t *testing.T) {
	db := mvtest.MustDB(t)
	old := time.Now().UTC().Add(-time.Hour)
	now := time.Now().UTC()
	mvtest.MustExec(t, db, "INSERT INTO tb_currentcalls (id, callid, userid, caller, called, started) VALUES (?, ?, ?, ?, ?, ?)", 41, "c41", 0, "1001", "1002", old)
	mvtest.MustExec(t, db, "INSERT INTO tb_currentcalls (id, callid, userid, caller, called, started) VALUES (?, ?, ?, ?, ?, ?)", 42, "c42", 0, "1001", "1002", now)
	mvtest.MustExec(t, db, `INSERT INTO tb_switchrequests (id, kind, anum, bnum, status, result, created, updated) VALUES (?, 'p2p', '1001', '1002', 3, ?, ?, ?)`, 7, "connected: call 41", old, old)
	mvtest.MustExec(t, db, `INSERT INTO tb_switchrequests (id, kind, anum, bnum, status, result, created, updated) VALUES (?, 'p2p', '1001', '1002', 3, ?, ?, ?)`, 8, "connected: call 42", now, now)
	st := mvtest.MustStack(t, db, map[string]string{"switch": "kamailio", "kamrpc": "http://127.0.0.1:9/RPC"}, actions.Deps{})
	st.Start()
	eventually(t, 10*time.Second, "stale request closed", func() error {
		var s int
		var result string
		if err := db.QueryRow("SELECT status, result FROM tb_switchrequests WHERE id = 7").Scan(&s, &result); err != nil {
			return err
		}
		if s != 5 || result != "the node handling it stopped" {
			return fmt.Errorf("status %d %q", s, result)
		}
		return nil
	})
	var ids []int64
	db.Select(&ids, "SELECT id FROM tb_currentcalls ORDER BY id")
	var live int
	db.Get(&live, "SELECT status FROM tb_switchrequests WHERE id = 8")
	if len(ids) != 1 || ids[0] != 42 || live != 3 {
		t.Fatalf("current calls %v, live request status %d", ids, live)
	}
}
