package builtin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"mvapi/actions/actionstest"
	"mvapi/engine"
)

// msgEnv is an env whose config points at a real SMTP server and SMS
// gateway on loopback, with fast outbox timings.
func msgEnv(t *testing.T, sets map[string]string) (*env, *actionstest.SMTP, *actionstest.Gateway) {
	t.Helper()
	smtp, gw := actionstest.StartSMTP(t), actionstest.StartGateway(t)
	cfg := map[string]string{
		"smtphost": "127.0.0.1", "smtpport": smtp.Port, "smtptls": "none", "smtpfrom": "mvapi@example.com",
		"smsgatewayurl": gw.Template(), "outboxpollms": "20", "outboxbackoffms": "20", "outboxbackoffmaxms": "50",
		"outboxmaxattempts": "3", "smssyncwait": "2",
	}
	for k, v := range sets {
		cfg[k] = v
	}
	return newEnv(t, cfg), smtp, gw
}

func (v *env) phone(user, phone string) {
	v.exec("UPDATE tb_users SET phone = ? WHERE username = ?", phone, user)
}

// TestSMSEntriesQueueAndDeliver: every async SMS entry answers once the
// message is stored and the gateway receives it from the user's own number;
// positional param1..3 are from, to, txt.
func TestSMSEntriesQueueAndDeliver(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v, _, gw := msgEnv(t, nil)
		v.user("ann", engine.TypeEndUser, 0)
		v.phone("ann", "+36 1 111 2222")
		wantOK(t, v.as("ann", "sms", "bnum", "+3620555", "txt", "plain text"), "OK: sms queued (id ")
		wantOK(t, v.as("ann", "sendsms", "to", "3620666", "message", "second"), "OK: sms queued (id ")
		wantOK(t, v.as("ann", "sendsmsunicode", "param2", "3620777", "param3", "árvíztűrő"), "OK: sms queued (id ")
		wantOK(t, v.as("ann", "sendsms", "bnum", "3620001; 3620002", "txt", "two"), "OK: 2 sms queued (first id ")
		reqs := gw.WaitRequests(t, 5, 5*time.Second)
		got := map[string]actionstest.SMS{}
		for _, q := range reqs {
			got[q.To] = q
		}
		for to, text := range map[string]string{"+3620555": "plain text", "3620666": "second", "3620777": "árvíztűrő", "3620001": "two", "3620002": "two"} {
			q := got[to]
			if q.Text != text || q.From != "+3611112222" {
				t.Errorf("%s: %+v", to, q)
			}
		}
		if got["3620777"].Unicode != "1" || got["+3620555"].Unicode != "0" {
			t.Errorf("unicode flags %q %q", got["3620777"].Unicode, got["+3620555"].Unicode)
		}
	})
}

// TestSMSSenderRules: a user sends only as their own number or username;
// an admin entry may name any sender.
func TestSMSSenderRules(t *testing.T) {
	v, _, gw := msgEnv(t, map[string]string{"smsfrom": "MVAPI"})
	v.user("bob", engine.TypeEndUser, 0)
	v.phone("bob", "0036 30 123 4567")
	v.user("root", engine.TypeAdmin, 0)
	wantErr(t, v.as("bob", "sms", "anum", "+3699999", "bnum", "3620555", "txt", "x"), "from: you may send only from your own number or username")
	wantOK(t, v.as("bob", "sms", "anum", "+36 30 123 4567", "bnum", "3620555", "txt", "own number"), "OK: sms queued")
	wantOK(t, v.as("bob", "sms", "anum", "bob", "bnum", "3620555", "txt", "own name"), "OK: sms queued")
	wantErr(t, v.as("bob", "asendsms", "bnum", "3620555", "txt", "x"), "")
	wantOK(t, v.as("root", "asendsms", "anum", "Shop", "bnum", "3620555", "txt", "by admin"), "OK: sms queued")
	wantOK(t, v.as("root", "asendsms", "bnum", "3620555", "txt", "default sender"), "OK: sms queued")
	senders := map[string]string{}
	for _, q := range gw.WaitRequests(t, 4, 5*time.Second) {
		senders[q.Text] = q.From
	}
	want := map[string]string{"own number": "+36301234567", "own name": "bob", "by admin": "Shop", "default sender": "MVAPI"}
	for text, from := range want {
		if senders[text] != from {
			t.Errorf("%s: sender %q, want %q", text, senders[text], from)
		}
	}
}

// TestSMSSyncReportsTheGateway: the sync entries answer what the gateway
// said; a refusal is ERROR and fires the row's failure action once; a
// gateway that fails for now leaves the SMS queued for retry.
func TestSMSSyncReportsTheGateway(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		v, _, gw := msgEnv(t, nil)
		gw.Respond = func(s actionstest.SMS) (int, string) {
			switch s.Text {
			case "refuse":
				return http.StatusBadRequest, "ERR 21: bad destination"
			case "later":
				return http.StatusServiceUnavailable, "maintenance"
			}
			return 200, "OK: id 77"
		}
		v.user("cyd", engine.TypeEndUser, 0)
		v.exec("INSERT INTO tb_api (fname, custom_action, custom_action_body) VALUES ('sendsmssync', 58, 'INSERT INTO tb_cdrs (caller, called) VALUES (''smsfail'', [USERNAME])')")
		mvReload(t, v)
		wantOK(t, v.as("cyd", "sendsmssync", "bnum", "3620555", "txt", "fine"), "OK: sms sent (id ")
		res := v.as("cyd", "sendsmssync", "bnum", "3620555", "txt", "refuse")
		wantErr(t, res, "sms not sent (id ")
		if !strings.Contains(res.Text, "HTTP 400: ERR 21: bad destination") {
			t.Errorf("answer %q", res.Text)
		}
		wantOK(t, v.as("cyd", "sendsmsunicodesync", "bnum", "3620555", "txt", "later"), "OK: sms queued for retry (id ")
		wantErr(t, v.as("cyd", "sendsmssync", "bnum", "1234;5678", "txt", "x"), "takes one number")
		// later is retried to the end, dies, and fires the failure action:
		// once for the refused request, once for the dead letter.
		deadline := time.Now().Add(10 * time.Second)
		for v.count("SELECT COUNT(*) FROM tb_outbox WHERE status = 'pending'") > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		if n := v.count("SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'smsfail' AND called = 'cyd'"); n != 2 {
			t.Fatalf("failure action ran %d times, want 2", n)
		}
		if n := v.count("SELECT COUNT(*) FROM tb_outbox WHERE status = 'dead'"); n != 2 {
			t.Fatalf("%d dead letters", n)
		}
	})
}

// TestSendMailIsAdminOnly: sendmail is an admin entry by default; the
// message comes From smtpfrom with the requested sender as Reply-To.
func TestSendMailIsAdminOnly(t *testing.T) {
	v, smtp, _ := msgEnv(t, nil)
	v.user("dee", engine.TypeEndUser, 0)
	v.user("root", engine.TypeAdmin, 0)
	wantErr(t, v.as("dee", "sendmail", "bnum", "x@example.com", "txt", "spam"), "")
	wantOK(t, v.as("root", "sendmail", "from", "Sales <sales@example.org>", "to", "a@example.com, b@example.com",
		"subject", "Your invoice", "message", "Hello"), "OK: email queued (id ")
	wantOK(t, v.as("root", "asendemail", "param2", "c@example.com", "param3", "Hi", "param4", "positional"), "OK: email queued (id ")
	mails := map[string]actionstest.Mail{}
	for _, m := range smtp.WaitMails(t, 2, 5*time.Second) {
		mails[m.Subject] = m
	}
	m := mails["Your invoice"]
	if m.Subject != "Your invoice" || strings.TrimSpace(m.Body) != "Hello" || m.From != "mvapi@example.com" ||
		m.Header.Get("Reply-To") != `"Sales" <sales@example.org>` || strings.Join(m.To, ",") != "a@example.com,b@example.com" {
		t.Errorf("%+v", m)
	}
	if p := mails["Hi"]; strings.TrimSpace(p.Body) != "positional" || strings.Join(p.To, ",") != "c@example.com" {
		t.Errorf("%+v", p)
	}
}

// TestMessagingErrors: bad input is answered with what is wrong; missing
// configuration names the options to admins only.
func TestMessagingErrors(t *testing.T) {
	v, _, _ := msgEnv(t, nil)
	v.user("eve", engine.TypeEndUser, 0)
	v.user("root", engine.TypeAdmin, 0)
	wantErr(t, v.as("eve", "sms", "txt", "x"), "missing parameter: to (bnum) and txt (message) are required")
	wantErr(t, v.as("eve", "sms", "bnum", "call me", "txt", "x"), `invalid message: "call me" is not a phone number`)
	wantErr(t, v.as("root", "sendmail", "bnum", "not-an-address", "txt", "x"), "invalid message")
	wantErr(t, v.as("eve", "sms", "bnum", "3620555", "txt", strings.Repeat("x", 1601)), "text longer than 1600 characters")

	off, _, _ := msgEnv(t, map[string]string{"smsgatewayurl": "", "smtphost": ""})
	off.user("eve", engine.TypeEndUser, 0)
	off.user("root", engine.TypeAdmin, 0)
	wantErr(t, off.as("eve", "sms", "bnum", "3620555", "txt", "x"), "sms is not available on this server")
	wantErr(t, off.as("root", "asendsms", "bnum", "3620555", "txt", "x"), "not configured: SMS: set smsgatewayurl in global config")
	wantErr(t, off.as("root", "sendmail", "bnum", "a@example.com", "txt", "x"), "not configured: email: set smtphost and smtpfrom")
	if n := v.count("SELECT COUNT(*) FROM tb_outbox") + off.count("SELECT COUNT(*) FROM tb_outbox"); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

// mvReload compiles tb_api into the engine's table.
func mvReload(t *testing.T, v *env) {
	t.Helper()
	if _, err := v.e.ReloadTable(t.Context()); err != nil {
		t.Fatal(err)
	}
}
