package builtin_test

import (
	"fmt"
	"sync"
	"testing"

	"mvapi/engine"
	"mvapi/engine/format"
)

// TestReqIDMovesMoneyOnce: a retry of a committed transfer, charge or
// addcredit with the same reqid answers the first answer word for word and
// moves no money again; the credit log carries the request id.
func TestReqIDMovesMoneyOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"authlockoutfailures": "0"})
		a, b := v.user("ida", engine.TypeEndUser, 10), v.user("idb", engine.TypeEndUser, 0)
		v.user("idroot", engine.TypeAdmin, 0)
		v.exec("INSERT INTO tb_pins (pin, value) VALUES ('12121212', 3)")

		first := v.as("ida", "transfercredit", "username", "idb", "credit", "2", "reqid", "t-1")
		wantOK(t, first, "OK: transferred 2 USD to idb; your credit is 8")
		again := v.as("ida", "transfercredit", "username", "idb", "credit", "2", "reqid", "t-1")
		if again.Text != first.Text || !again.OK {
			t.Fatalf("retry answered %q, first %q", again.Text, first.Text)
		}
		if v.credit(a) != 8 || v.credit(b) != 2 {
			t.Fatalf("credits %v/%v after a retried transfer, want 8/2", v.credit(a), v.credit(b))
		}
		if n := v.count("SELECT COUNT(*) FROM tb_creditlog WHERE reqid = 't-1'"); n != 2 {
			t.Fatalf("%d credit log rows with reqid t-1, want 2 (one per side)", n)
		}
		// Another reqid is another transfer; no reqid behaves as before.
		wantOK(t, v.as("ida", "transfercredit", "username", "idb", "credit", "1", "reqid", "t-2"), "OK: transferred 1 USD to idb; your credit is 7")
		wantOK(t, v.as("ida", "transfercredit", "username", "idb", "credit", "1"), "OK: transferred 1 USD to idb; your credit is 6")
		wantOK(t, v.as("ida", "transfercredit", "username", "idb", "credit", "1"), "OK: transferred 1 USD to idb; your credit is 5")
		// The same reqid of another user is that user's own.
		wantOK(t, v.as("idb", "transfercredit", "username", "ida", "credit", "1", "reqid", "t-1"), "OK: transferred 1 USD to ida; your credit is 4")
		// A reqid used for one entry is refused for another.
		wantErr(t, v.as("ida", "charge", "pin", "12121212", "reqid", "t-1"), "already used for transfercredit")

		c1 := v.as("ida", "charge", "pin", "12121212", "reqid", "c-1")
		wantOK(t, c1, "OK: charged 3 USD; your credit is 9")
		if c2 := v.as("ida", "charge", "pin", "12121212", "reqid", "c-1"); c2.Text != c1.Text {
			t.Fatalf("charge retry answered %q, first %q", c2.Text, c1.Text)
		}
		// Without the reqid the used PIN is refused, as always.
		wantErr(t, v.as("ida", "charge", "pin", "12121212"), "pin not usable")

		ad := v.as("idroot", "addcredit", "pin", "idb", "credit", "5", "reqid", "a-1")
		wantOK(t, ad, "OK: credit of idb changed by 5 USD; new credit 9")
		if ad2 := v.as("idroot", "addcredit", "pin", "idb", "credit", "5", "reqid", "a-1"); ad2.Text != ad.Text {
			t.Fatalf("addcredit retry answered %q, first %q", ad2.Text, ad.Text)
		}
		if v.credit(a) != 9 || v.credit(b) != 9 {
			t.Fatalf("credits %v/%v, want 9/9", v.credit(a), v.credit(b))
		}
		wantErr(t, v.as("ida", "transfercredit", "username", "idb", "credit", "1", "reqid", "has space"), "bad reqid")
		if n := v.count("SELECT COUNT(*) FROM tb_requests"); n != 5 {
			t.Fatalf("%d rows in tb_requests, want 5", n)
		}
	})
}

// TestReqIDConcurrentDuplicates: 8 copies of one transfer sent at once
// move the money once and all answer the same text.
func TestReqIDConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		a, b := v.user("dupa", engine.TypeEndUser, 100), v.user("dupb", engine.TypeEndUser, 0)
		const rounds, copies = 5, 8
		for r := range rounds {
			reqid := fmt.Sprintf("dup-%d", r)
			res := make([]format.Result, copies)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range copies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res[i] = v.as("dupa", "transfercredit", "username", "dupb", "credit", "1", "reqid", reqid)
				}()
			}
			close(start)
			wg.Wait()
			var want string
			for i, r := range res {
				switch {
				case !r.OK && r.Kind == engine.KindBusy:
					// The winner had not committed yet: the client retries.
				case !r.OK:
					t.Fatalf("copy %d answered %q (kind %v)", i, r.Text, r.Kind)
				case want == "":
					want = r.Text
				case r.Text != want:
					t.Fatalf("answers differ: %q and %q", want, r.Text)
				}
			}
			if got := v.credit(b); got != float64(r+1) {
				t.Fatalf("round %d: receiver has %v, want %d (one transfer per reqid)", r, got, r+1)
			}
		}
		if v.credit(a) != 100-rounds {
			t.Fatalf("sender has %v, want %d", v.credit(a), 100-rounds)
		}
		if n := v.count("SELECT COUNT(*) FROM tb_creditlog WHERE kind = 'transfer'"); n != 2*rounds {
			t.Fatalf("%d transfer log rows, want %d", n, 2*rounds)
		}
	})
}
