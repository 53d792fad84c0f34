package builtin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// gateway is a real HTTP payment gateway for tests: it approves or
// declines by amount and records what it received.
type gateway struct {
	mu   sync.Mutex
	got  []map[string]any
	auth []string
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.got = append(g.got, req)
	g.auth = append(g.auth, r.Header.Get("Authorization"))
	n := len(g.got)
	g.mu.Unlock()
	switch req["amount"] {
	case "13.00":
		json.NewEncoder(w).Encode(map[string]any{"approved": false, "reason": "insufficient funds"})
	case "66.00":
		http.Error(w, "down", http.StatusBadGateway)
	case "77.00":
		w.Write([]byte("<html>"))
	default:
		json.NewEncoder(w).Encode(map[string]any{"approved": true, "transactionid": "tx-" + strconv.Itoa(n)})
	}
}

func TestCCCharge(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		g := &gateway{}
		srv := httptest.NewServer(g)
		defer srv.Close()
		v := newEnv(t, map[string]string{"ccgatewayurl": srv.URL + "/pay", "ccgatewaykey": "s3cret", "ccmaxamount": "100"})
		id := v.user("hana", 0, 1)
		year := strconv.Itoa(time.Now().Year() + 2)
		card := func(kv ...string) []string {
			base := map[string]string{"cardnum": "4111 1111 1111 1111", "expireyear": year, "expmonth": "12", "ccv2": "123", "ammount": "10"}
			for i := 0; i+1 < len(kv); i += 2 {
				base[kv[i]] = kv[i+1]
			}
			var out []string
			for k, val := range base {
				out = append(out, k, val)
			}
			return out
		}
		wantOK(t, v.as("hana", "cccharge", card()...), "OK: charged 10 USD (transaction tx-1); your credit is 11")
		if len(g.got) != 1 || g.got[0]["cardnumber"] != "4111111111111111" || g.got[0]["currency"] != "USD" ||
			g.got[0]["username"] != "hana" || g.auth[0] != "Bearer s3cret" {
			t.Fatalf("gateway received %v with %v", g.got, g.auth)
		}
		for _, tc := range []struct {
			name string
			kv   []string
			want string
		}{
			{"declined", []string{"ammount", "13"}, "payment declined: insufficient funds"},
			{"gateway down", []string{"ammount", "66"}, "payment gateway could not be reached"},
			{"gateway not json", []string{"ammount", "77"}, "answered badly"},
			{"bad checksum", []string{"cardnum", "4111111111111112"}, "bad cardnum"},
			{"short card", []string{"cardnum", "4111"}, "bad cardnum"},
			{"expired", []string{"expireyear", "2001"}, "card expired"},
			{"bad month", []string{"expmonth", "13"}, "bad expmonth"},
			{"bad cvv", []string{"ccv2", "12a"}, "bad ccv2"},
			{"amount over max", []string{"ammount", "100.5"}, "at most 100"},
			{"no amount", []string{"ammount", ""}, "missing parameter: ammount"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantErr(t, v.as("hana", "cccharge", card(tc.kv...)...), tc.want)
			})
		}
		if got := v.credit(id); got != 11 {
			t.Fatalf("credit %v after declined and failed payments, want 11", got)
		}
		if n := v.count("SELECT COUNT(*) FROM tb_creditlog WHERE kind = 'cccharge' AND ref = 'tx-1'"); n != 1 {
			t.Fatal("the approved payment is not in tb_creditlog")
		}
		// The alias amount works; card data never reaches the credit log.
		wantOK(t, v.as("hana", "cccharge", card("ammount", "", "amount", "2.5")...), "OK: charged 2.5 USD")
		if n := v.count("SELECT COUNT(*) FROM tb_creditlog WHERE ref LIKE '%4111%'"); n != 0 {
			t.Fatal("card number stored")
		}
	})
}

func TestCCChargeWithoutGateway(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("ivan", 0, 1)
		wantErr(t, v.as("ivan", "cccharge", "cardnum", "4111111111111111", "expireyear", "2099", "expmonth", "1", "ccv2", "123", "ammount", "5"),
			"no payment gateway configured (global config ccgatewayurl)")
		v2 := newEnv(t, map[string]string{"ccgatewayurl": "ftp://example.com/x"})
		v2.user("ivan", 0, 1)
		wantErr(t, v2.as("ivan", "cccharge", "cardnum", "4111111111111111", "expireyear", "2099", "expmonth", "1", "ccv2", "123", "ammount", "5"),
			"misconfigured")
	})
}
