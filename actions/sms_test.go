package actions_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/actions/actionstest"
	"mvapi/engine"
)

// TestSMSActionGET: custom_action 2 calls the gateway once per recipient
// with every placeholder URL-encoded and the idempotency key both in {key}
// and the Idempotency-Key header; non-ASCII text is flagged unicode.
func TestSMSActionGET(t *testing.T) {
	r := newRig(t, true, map[string]string{"smsfrom": "MVAPI", "smsgatewayauth": "Bearer tok-123"}, actions.Deps{})
	r.row("textme", "SELECT 1", 2, "***TO=+36 1 234 5678, {sparam1}\nhi {txt} & more")
	if got := r.serve("apientry", "textme", "sparam1", "003699", "txt", "a=b ü?"); got != "OK: 1" {
		t.Fatal(got)
	}
	reqs := r.gw.WaitRequests(t, 2, 5*time.Second)
	got := map[string]actionstest.SMS{}
	for _, q := range reqs {
		got[q.To] = q
	}
	for _, to := range []string{"+3612345678", "003699"} {
		q, ok := got[to]
		if !ok {
			t.Fatalf("no request for %s: %+v", to, reqs)
		}
		if q.Method != "GET" || q.Text != "hi a=b ü? & more" || q.From != "MVAPI" || q.Unicode != "1" ||
			q.Key == "" || q.Key != q.IdemHeader || q.Auth != "Bearer tok-123" {
			t.Errorf("%+v", q)
		}
	}
	rows := r.waitSettled(2)
	if rows[0].Status != "sent" || rows[0].Result != "OK: queued" || rows[0].Key == rows[1].Key {
		t.Errorf("%+v", rows)
	}
}

// TestSMSGatewayPOSTAndSuccessText: POST sends a form and basic auth; a 2xx
// without smsgatewaysuccess is a permanent failure.
func TestSMSGatewayPOSTAndSuccessText(t *testing.T) {
	r := newRig(t, true, map[string]string{"smsgatewaymethod": "POST", "smsgatewayauth": "acct:pw-xyz",
		"smsgatewaysuccess": `"status":"sent"`}, actions.Deps{})
	r.gw.Respond = func(s actionstest.SMS) (int, string) {
		if s.Text == "bad" {
			return 200, `{"status":"error","reason":"invalid number"}`
		}
		return 200, `{"status":"sent"}`
	}
	r.row("textme", "SELECT 1", 2, "***TO=5551234\n{txt}")
	r.serve("apientry", "textme", "txt", "good")
	r.serve("apientry", "textme", "txt", "bad")
	rows := r.waitSettled(2)
	if rows[0].Status != "sent" || rows[1].Status != "dead" || rows[1].Attempts != 1 ||
		!strings.Contains(rows[1].LastError, `without "\"status\":\"sent\""`) {
		t.Fatalf("%+v", rows)
	}
	for _, q := range r.gw.Requests() {
		if q.Method != "POST" || q.To != "5551234" || !strings.HasPrefix(q.Auth, "Basic ") {
			t.Fatalf("%+v", q)
		}
	}
}

// TestGatewayErrorsHideSecrets: a URL with an api key and the gateway
// credentials never reach the log or tb_outbox.last_error.
func TestGatewayErrorsHideSecrets(t *testing.T) {
	down := actionstest.Down(t) + "&apikey=SECRET-KEY-1"
	r := newRig(t, true, map[string]string{"smsgatewayurl": down, "smsgatewayauth": "u:SECRET-PW-2", "outboxmaxattempts": "2"}, actions.Deps{})
	r.row("textme", "SELECT 1", 2, "***TO=5551234\nx")
	r.serve("apientry", "textme")
	row := r.waitSettled(1)[0]
	if row.Status != "dead" || row.Attempts != 2 || !strings.Contains(row.LastError, "connection refused") {
		t.Fatalf("%+v", row)
	}
	// A gateway that echoes the request (key, URL, credentials) in its error.
	echo := newRig(t, true, map[string]string{"smsgatewayauth": "Bearer SECRET-TOKEN-3", "outboxmaxattempts": "1",
		"smsgatewayurl": "{gateway}/send?to={to}&text={text}&apikey=SECRET-KEY-4"}, actions.Deps{})
	echo.gw.Respond = func(q actionstest.SMS) (int, string) {
		return http.StatusBadRequest, "bad request with apikey=SECRET-KEY-4 auth=" + q.Auth
	}
	echo.row("textme", "SELECT 1", 2, "***TO=5551234\nx")
	echo.serve("apientry", "textme")
	erow := echo.waitSettled(1)[0]
	if erow.Status != "dead" || !strings.Contains(erow.LastError, "apikey=xxxxx auth=xxxxx") {
		t.Fatalf("%+v", erow)
	}
	for _, s := range []string{row.LastError, r.log.String(), erow.LastError, echo.log.String()} {
		if strings.Contains(s, "SECRET-") {
			t.Fatalf("secret leaked: %s", s)
		}
	}
}

// TestSendNow: a synchronous send reports the gateway's answer; a refusal
// is a dead letter at once (the failed request fires the failure action,
// not the outbox); a gateway slower than the wait leaves the message for
// the workers, which retry it with the same idempotency key.
func TestSendNow(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, true, nil, actions.Deps{})
		slow := make(chan struct{})
		r.gw.Respond = func(s actionstest.SMS) (int, string) {
			switch s.Text {
			case "refuse":
				return http.StatusBadRequest, "ERR: invalid destination"
			case "slow":
				select {
				case <-slow:
				case <-time.After(time.Second):
					close(slow) // only the first attempt is slow
				}
			}
			return 200, "OK: id 77"
		}
		ctx, c := context.Background(), r.call("apitest")
		m := engine.Message{Kind: "sms", To: []string{"5551234"}, Body: "fine"}
		d, err := r.a.SendNow(ctx, c, m, 2*time.Second)
		if err != nil || !d.Sent || d.Answer != "OK: id 77" {
			t.Fatalf("%+v %v", d, err)
		}
		m.Body = "refuse"
		d, err = r.a.SendNow(ctx, c, m, 2*time.Second)
		if err != nil || d.Sent || !d.Permanent || !strings.Contains(d.Answer, "HTTP 400: ERR: invalid destination") {
			t.Fatalf("%+v %v", d, err)
		}
		m.Body = "slow"
		start := time.Now()
		d, err = r.a.SendNow(ctx, c, m, 300*time.Millisecond)
		if err != nil || d.Sent || d.Permanent || time.Since(start) > time.Second {
			t.Fatalf("%+v %v after %v", d, err, time.Since(start))
		}
		rows := r.waitSettled(3)
		if rows[0].Status != "sent" || rows[1].Status != "dead" || rows[2].Status != "sent" || rows[2].Attempts != 2 {
			t.Fatalf("%+v", rows)
		}
		var keys []string
		for _, q := range r.gw.Requests() {
			if q.Text == "slow" {
				keys = append(keys, q.IdemHeader)
			}
		}
		if len(keys) != 2 || keys[0] != keys[1] || keys[0] != rows[2].Key {
			t.Fatalf("retry keys %q, row key %q", keys, rows[2].Key)
		}
	})
}
