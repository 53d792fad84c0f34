package builtin_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCallbackAndP2PQueue(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		id := v.user("ella", 0, 1)
		wantOK(t, v.as("ella", "callback", "anum", "+3612345678", "ivr", "-1", "now", "555"), "OK: request 1 queued")
		wantOK(t, v.as("ella", "p2p", "anum", "01199925", "bnum", "08007774004", "now", "1"), "OK: request 2 queued")
		wantOK(t, v.as("ella", "p2p", "param1", "111", "param2", "222", "param3", "333"), "OK: request 3 queued")
		var rows []struct {
			Kind, Anum, Bnum, Cnum, Options string
			UserID                          int64 `db:"userid"`
			Status                          int
		}
		if err := v.db.Select(&rows, "SELECT kind, anum, bnum, cnum, options, userid, status FROM tb_switchrequests ORDER BY id"); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].Kind != "callback" || rows[0].Anum != "+3612345678" || rows[0].Options != "ivr=-1" ||
			rows[1].Kind != "p2p" || rows[1].Anum != "01199925" || rows[1].Bnum != "08007774004" || rows[2].Cnum != "333" ||
			rows[0].UserID != id || rows[0].Status != 0 {
			t.Fatalf("queued rows %+v", rows)
		}
		for _, tc := range []struct {
			entry, want string
			kv          []string
		}{
			{"callback", "missing parameter: num", nil},
			{"callback", "bad num", []string{"num", "12;3"}},
			{"callback", "bad ivr", []string{"num", "123", "ivr", "x"}},
			{"p2p", "missing parameter: anum", []string{"bnum", "123"}},
			{"p2p", "missing parameter: bnum", []string{"anum", "123"}},
			{"p2p", "bad cnum", []string{"anum", "123", "bnum", "456", "cnum", "abc"}},
			{"p2p", "bad waitfor", []string{"anum", "123", "bnum", "456", "waitfor", "9"}},
		} {
			wantErr(t, v.as("ella", tc.entry, tc.kv...), tc.want)
		}
		// A user without credit may not start calls (req_user_credit 2).
		v.exec("UPDATE tb_users SET credit = -1 WHERE id = ?", id)
		wantErr(t, v.as("ella", "p2p", "anum", "123", "bnum", "456"), "not enough credit")
	})
}

// fakeSwitch plays the switch: it takes the newest queued request and moves
// it through the given statuses.
func fakeSwitch(v *env, result string, statuses ...int) {
	go func() {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			var id int64
			if err := v.db.Get(&id, "SELECT COALESCE(MAX(id), 0) FROM tb_switchrequests WHERE status = 0"); err != nil || id == 0 {
				continue
			}
			for _, st := range statuses {
				v.db.Exec(v.db.Dialect.Rebind("UPDATE tb_switchrequests SET status = ?, result = ?, updated = ? WHERE id = ?"), st, result, time.Now().UTC(), id)
				time.Sleep(30 * time.Millisecond)
			}
			return
		}
	}()
}

func TestP2PWaitFor(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"switchwaitmax": "1"})
		v.user("finn", 0, 1)
		fakeSwitch(v, "", 1, 2, 3)
		wantOK(t, v.as("finn", "p2p", "anum", "111", "bnum", "222", "waitfor", "1"), "OK: request 1 connected")
		fakeSwitch(v, "busy", 1, 5)
		wantErr(t, v.as("finn", "p2p", "anum", "111", "bnum", "222", "waitfor", "1"), "request 2 failed: busy")
		fakeSwitch(v, "duration 42", 1, 3, 4)
		wantOK(t, v.as("finn", "p2p", "anum", "111", "bnum", "222", "waitfor", "2"), "OK: request 3 ended: duration 42")
		// Nobody takes the request: after switchwaitmax it is cancelled, so it
		// cannot ring later.
		start := time.Now()
		wantErr(t, v.as("finn", "callback", "num", "111", "waitfor", "1"), "did not take it within 1s; it was cancelled")
		if d := time.Since(start); d < time.Second || d > 3*time.Second {
			t.Fatalf("waited %v for a 1 s bound", d)
		}
		if n := v.count("SELECT COUNT(*) FROM tb_switchrequests WHERE id = 4 AND status = 6"); n != 1 {
			t.Fatal("the unanswered request was not cancelled")
		}
		// Taken but silent: not cancelled, the client is told it may go on.
		fakeSwitch(v, "", 1)
		wantErr(t, v.as("finn", "p2p", "anum", "111", "bnum", "222", "waitfor", "2"), "no result within 1s; the call may still go on")
	})
}

func TestSendFax(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "offer.pdf"), []byte("%PDF"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(filepath.Dir(dir), "secret.pdf"), []byte("x"), 0o644)
		v := newEnv(t, map[string]string{"faxfolder": dir})
		v.user("gina", 0, 1)
		wantOK(t, v.as("gina", "sendfax", "from", "3611111", "to", "3622222", "filename", "offer.pdf"), "OK: request 1 queued")
		var kind, anum, bnum, file string
		v.db.QueryRow("SELECT kind, anum, bnum, filename FROM tb_switchrequests").Scan(&kind, &anum, &bnum, &file)
		if kind != "sendfax" || anum != "3611111" || bnum != "3622222" || file != "offer.pdf" {
			t.Fatalf("queued %s %s %s %s", kind, anum, bnum, file)
		}
		for _, name := range []string{"../secret.pdf", "/etc/passwd", `..\secret.pdf`, ".hidden", "sub/offer.pdf"} {
			wantErr(t, v.as("gina", "sendfax", "to", "3622222", "filename", name), "bad filename")
		}
		wantErr(t, v.as("gina", "sendfax", "to", "3622222", "filename", "missing.pdf"), "no such file in the fax folder")
		wantErr(t, v.as("gina", "sendfax", "filename", "offer.pdf"), "missing parameter: to")
		wantErr(t, v.as("gina", "sendfax", "to", "3622222"), "missing parameter: filename")
		if n := v.count("SELECT COUNT(*) FROM tb_switchrequests"); n != 1 {
			t.Fatalf("%d requests queued, want 1", n)
		}
		v2 := newEnv(t, nil)
		v2.user("gina", 0, 1)
		wantErr(t, v2.as("gina", "sendfax", "to", "3622222", "filename", "offer.pdf"), "no fax folder configured")
	})
}
