package builtin_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
)

func TestCharge(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		id := v.user("carl", engine.TypeEndUser, 1)
		past, future := time.Now().UTC().Add(-time.Hour), time.Now().UTC().Add(time.Hour)
		v.exec("INSERT INTO tb_pins (pin, value, currency) VALUES ('11112222', 10, 'USD')")
		v.exec("INSERT INTO tb_pins (pin, value, currency, expires) VALUES ('33334444', 5, '', ?)", future)
		v.exec("INSERT INTO tb_pins (pin, value, expires) VALUES ('55556666', 5, ?)", past)
		v.exec("INSERT INTO tb_pins (pin, value, enabled) VALUES ('77778888', 5, 0)")
		v.exec("INSERT INTO tb_pins (pin, value, currency) VALUES ('99990000', 5, 'EUR')")

		wantOK(t, v.as("carl", "charge", "pin", "11112222"), "OK: charged 10 USD; your credit is 11")
		// The reference's example sends the PIN as anum; param1 is the pin too.
		wantOK(t, v.as("carl", "charge", "anum", "33334444", "now", ""), "OK: charged 5 USD; your credit is 16")
		for _, tc := range []struct{ name, pin, want string }{
			{"used twice", "11112222", "pin not usable"},
			{"unknown", "12341234", "pin not usable"},
			{"expired", "55556666", "pin not usable"},
			{"disabled", "77778888", "pin not usable"},
			{"malformed", "12'; --", "pin not usable"},
			{"missing", "", "missing parameter: pin"},
			{"other currency", "99990000", "pin is in EUR, your account in USD"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantErr(t, v.as("carl", "charge", "param1", tc.pin), tc.want)
			})
		}
		if got := v.credit(id); got != 16 {
			t.Fatalf("credit %v after the refused charges, want 16", got)
		}
		// The refused EUR PIN was rolled back: still unused.
		if n := v.count("SELECT COUNT(*) FROM tb_pins WHERE pin = '99990000' AND usedby IS NULL"); n != 1 {
			t.Fatal("a PIN refused for its currency was marked used")
		}
		if n := v.count("SELECT COUNT(*) FROM tb_creditlog WHERE userid = ? AND kind = 'charge'", id); n != 2 {
			t.Fatalf("%d charge rows in tb_creditlog, want 2", n)
		}
		// A trusted admin without a user cannot charge: there is nobody to credit.
		wantErr(t, v.serve("127.0.0.1", "charge", "pin", "33334444"), "needs a user")
	})
}

// Two requests with one PIN at the same time: exactly one wins, the credit
// grows once. Repeated to give the race many chances.
func TestChargeSamePINRace(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		// Each lost race is a used PIN, a failed guess: the lockout
		// (TestPINGuessesLockOut) is off here.
		v := newEnv(t, map[string]string{"authlockoutfailures": "0"})
		a, b := v.user("racea", 0, 0), v.user("raceb", 0, 0)
		const rounds = 25
		for i := range rounds {
			v.exec("INSERT INTO tb_pins (pin, value) VALUES (?, 1)", fmt.Sprintf("race%04d", i))
		}
		for i := range rounds {
			pin := fmt.Sprintf("race%04d", i)
			var wg sync.WaitGroup
			res := make([]format.Result, 2)
			start := make(chan struct{})
			for j, u := range []string{"racea", "raceb"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res[j] = v.as(u, "charge", "pin", pin)
				}()
			}
			close(start)
			wg.Wait()
			if res[0].OK == res[1].OK {
				t.Fatalf("round %d: answers %q and %q, want exactly one success", i, res[0].Text, res[1].Text)
			}
		}
		if got := v.credit(a) + v.credit(b); got != rounds {
			t.Fatalf("credit grew by %v for %d PINs of 1", got, rounds)
		}
	})
}

func TestTransferCredit(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"maxtransfercredit": "100"})
		ann := v.user("ann", 0, 10)
		bob := v.user("bob", 0, 1)
		v.user("eve", 0, 0)
		v.exec("UPDATE tb_users SET enabled = 0 WHERE username = 'eve'")
		v.exec("UPDATE tb_users SET currency = 'EUR' WHERE username = ?", "eve")
		mvEUR := v.user("eur", 0, 0)
		v.exec("UPDATE tb_users SET currency = 'EUR' WHERE id = ?", mvEUR)

		wantOK(t, v.as("ann", "transfercredit", "username", "bob", "credit", "2.5"), "OK: transferred 2.5 USD to bob; your credit is 7.5")
		wantOK(t, v.as("ann", "transfercredit", "param1", "bob", "param2", "0.0001"), "OK: transferred 0.0001 USD to bob")
		for _, tc := range []struct{ name, to, amount, want string }{
			{"more than the credit", "bob", "7.5", "not enough credit"},
			{"zero", "bob", "0", "must be more than 0"},
			{"negative", "bob", "-1", "positive number"},
			{"five decimals", "bob", "0.00001", "at most 4 decimals"},
			{"not a number", "bob", "1e3", "positive number"},
			{"over the maximum", "bob", "100.01", "at most 100 per request"},
			{"missing amount", "bob", "", "missing parameter: credit"},
			{"missing user", "", "1", "missing parameter: username"},
			{"unknown user", "nobody", "1", "no such user: nobody"},
			{"disabled user", "eve", "1", "no such user: eve"},
			{"to self", "ann", "1", "to yourself"},
			{"other currency", "eur", "1", "transfers need one currency"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantErr(t, v.as("ann", "transfercredit", "username", tc.to, "credit", tc.amount), tc.want)
			})
		}
		if a, b := v.credit(ann), v.credit(bob); math.Abs(a-7.4999) > 1e-9 || math.Abs(b-3.5001) > 1e-9 {
			t.Fatalf("credits ann=%v bob=%v, want 7.4999 and 3.5001", a, b)
		}
		// A postpaid user may go below zero.
		v.exec("UPDATE tb_users SET postpaid = 1 WHERE id = ?", bob)
		wantOK(t, v.as("bob", "transfercredit", "username", "ann", "credit", "10"), "OK: transferred 10 USD to ann")
		if b := v.credit(bob); math.Abs(b+6.4999) > 1e-9 {
			t.Fatalf("postpaid credit %v, want -6.4999", b)
		}
		if n := v.count("SELECT COUNT(*) FROM tb_creditlog WHERE kind = 'transfer'"); n != 6 {
			t.Fatalf("%d transfer rows in tb_creditlog, want 6 (two per transfer)", n)
		}
	})
}

// 50 goroutines move random amounts among 10 users for 10 seconds (2 with
// -short): the total is unchanged to the cent and no balance goes negative.
func TestTransferCreditConcurrent(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		const users, workers = 10, 50
		names := make([]string, users)
		ids := make([]int64, users)
		for i := range names {
			names[i] = fmt.Sprintf("tr%02d", i)
			ids[i] = v.user(names[i], 0, 100)
		}
		total := func() (sum, min float64) {
			min = math.Inf(1)
			for _, id := range ids {
				c := v.credit(id)
				sum += c
				min = math.Min(min, c)
			}
			return sum, min
		}
		before, _ := total()
		d := 10 * time.Second
		if testing.Short() {
			d = 2 * time.Second
		}
		stop := time.Now().Add(d)
		var ok, refused, failed atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 42))
				for time.Now().Before(stop) {
					from, to := r.IntN(users), r.IntN(users)
					if from == to {
						continue
					}
					amount := fmt.Sprintf("%d.%02d", r.IntN(40), r.IntN(100))
					res := v.as(names[from], "transfercredit", "username", names[to], "credit", amount)
					switch {
					case res.OK:
						ok.Add(1)
					case strings.Contains(res.Text, "not enough credit"), strings.Contains(res.Text, "must be more than 0"):
						refused.Add(1)
					default:
						failed.Add(1)
						t.Errorf("transfer %s -> %s of %s: %q", names[from], names[to], amount, res.Text)
					}
				}
			}()
		}
		// Watch the balances while the transfers run.
		var minSeen = math.Inf(1)
		for time.Now().Before(stop) {
			_, m := total()
			minSeen = math.Min(minSeen, m)
			time.Sleep(50 * time.Millisecond)
		}
		wg.Wait()
		after, min := total()
		t.Logf("%d transfers done, %d refused for credit, %d failed in %v", ok.Load(), refused.Load(), failed.Load(), d)
		if math.Round(after*100) != math.Round(before*100) {
			t.Fatalf("total credit %v after, %v before", after, before)
		}
		if min < 0 || minSeen < 0 {
			t.Fatalf("a balance went negative: %v at the end, %v while running", min, minSeen)
		}
		if ok.Load() < 100 {
			t.Fatalf("only %d transfers succeeded: the test proves little", ok.Load())
		}
		if n := v.count("SELECT COUNT(*) FROM tb_creditlog WHERE kind = 'transfer'"); int64(n) != 2*ok.Load() {
			t.Fatalf("%d credit log rows for %d transfers", n, ok.Load())
		}
	})
}

func TestAddCredit(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		id := v.user("dora", 0, 1)
		v.exec("UPDATE tb_users SET pin = '4455667' WHERE id = ?", id)
		v.user("eddy", 0, 50)

		wantOK(t, v.as("root", "addcredit", "pin", "dora", "credit", "5"), "OK: credit of dora changed by 5 USD; new credit 6")
		wantOK(t, v.as("root", "addcredit", "pin", "4455667", "credit", "1.5"), "OK: credit of dora changed by 1.5 USD; new credit 7.5")
		wantOK(t, v.as("root", "addcredit", "pin", "dora", "credit", "-2"), "OK: credit of dora changed by -2 USD; new credit 5.5")
		// The reference: from a trusted IP without credentials.
		wantOK(t, v.serve("127.0.0.1", "addcredit", "pin", "dora", "credit", "0.5"), "OK: credit of dora changed by 0.5 USD; new credit 6")
		wantErr(t, v.as("root", "addcredit", "pin", "dora", "credit", "-7"), "a prepaid credit cannot go negative")
		wantErr(t, v.as("eddy", "addcredit", "pin", "eddy", "credit", "100"), "access denied")
		wantErr(t, v.as("root", "addcredit", "pin", "nobody", "credit", "1"), "no such user")
		wantErr(t, v.as("root", "addcredit", "pin", "dora", "credit", "abc"), "bad credit")
		wantErr(t, v.as("root", "addcredit", "credit", "1"), "missing parameter: pin")
		if got := v.credit(id); got != 6 {
			t.Fatalf("credit %v, want 6", got)
		}
	})
}

func TestCallRating(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		fay := v.user("fay", 0, 6)
		v.user("gus", 0, 1)
		v.exec("INSERT INTO tb_rates (prefix, destination, price, currency) VALUES ('3630', 'Hungary-mobile', 0.12, 'USD')")
		v.exec("INSERT INTO tb_currentcalls (callid, userid, caller, called, started) VALUES ('call-1', ?, 'fay', '36301234567', ?)", fay, time.Now().UTC().Add(-30*time.Second))
		v.exec("INSERT INTO tb_currentcalls (callid, userid, caller, called, started) VALUES ('call-2', ?, 'fay', '99999', ?)", fay, time.Now().UTC())
		v.exec("INSERT INTO tb_cdrs (datum, callerid, caller, called, duration, cost, sipcallid) VALUES (?, ?, 'fay', '3630', 62, 0.124, 'call-0')", time.Now().UTC(), fay)

		res := v.as("fay", "callrating", "callid", "call-1")
		wantOK(t, res, "OK: credit=6 USD, maxduration=3000, rating=0.12 USD, destination=Hungary-mobile, elapsed=")
		for _, w := range []string{"error", "invalid", "not found"} {
			if strings.Contains(strings.ToLower(res.Text), w) {
				t.Fatalf("a success contains %q, which the WebPhone reads as a failure", w)
			}
		}
		wantOK(t, v.as("fay", "callrating", "param2", "call-0"), "OK: call ended, duration=62, cost=0.124")
		wantErr(t, v.as("fay", "callrating", "callid", "call-2"), "no rate for the called number 99999")
		wantErr(t, v.as("gus", "callrating", "callid", "call-1"), "no such call")
		wantErr(t, v.as("gus", "callrating", "username", "fay", "callid", "call-1"), "only your own calls")
		wantOK(t, v.as("root", "callrating", "username", "fay", "callid", "call-1"), "OK: credit=6 USD")
		wantErr(t, v.as("root", "callrating", "username", "gus", "callid", "call-1"), "no such call")
		wantErr(t, v.as("fay", "callrating"), "missing parameter: callid")
		v.exec("UPDATE tb_users SET postpaid = 1 WHERE id = ?", fay)
		wantOK(t, v.as("fay", "callrating", "callid", "call-1"), "OK: credit=6 USD, maxduration=unlimited")
	})
}
