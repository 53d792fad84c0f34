package main

import (
	"maps"
	"strings"
	"testing"
	"time"

	"mvapi/actions/actionstest"
	"mvapi/engine"
)

// outboxSets points a server at a loopback SMTP server and SMS gateway with
// fast outbox timings, on top of strictSets (loopback untrusted).
func outboxSets(smtp *actionstest.SMTP, gw *actionstest.Gateway) map[string]string {
	sets := maps.Clone(strictSets)
	maps.Copy(sets, map[string]string{
		"smtphost": "127.0.0.1", "smtpport": smtp.Port, "smtptls": "none", "smtpfrom": "mvapi@example.com",
		"adminemail": "admin@example.com", "smsgatewayurl": gw.Template(), "outboxpollms": "20",
		"outboxbackoffms": "20", "outboxbackoffmaxms": "100", "outboxmaxattempts": "5", "smtptimeout": "2",
	})
	return sets
}

// TestActionsEndToEnd: over HTTP, a success email action delivers with the
// right To, Subject and body; a failing request fires its 5x action and
// not its success action; the sms entry reaches the gateway.
func TestActionsEndToEnd(t *testing.T) {
	smtp, gw := actionstest.StartSMTP(t), actionstest.StartGateway(t)
	s := startServer(t, "", outboxSets(smtp, gw))
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.user("vera", "verapass", engine.TypeEndUser, 5)
	s.exec("UPDATE tb_users SET email = 'vera@example.com', name = 'Vera V', phone = '+3611112222' WHERE username = 'vera'")
	s.exec(`INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES
		('welcome', 'SELECT ''hi''', 1, '***TO={email}' || char(10) || '***SUBJECT=Welcome {username}' || char(10) || 'Hello {name}, {txt}'),
		('rating', NULL, 51, '***TO=ops@example.com' || char(10) || '***SUBJECT=rating failed for {username}' || char(10) || '{result}')`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK:")
	auth := s.md5Auth("vera", "verapass")

	_, body := s.get(append([]string{"apientry", "welcome", "txt", "nice to see you"}, auth...)...)
	wantPrefix(t, body, "OK: hi")
	// A failed authentication fires no success action.
	_, body = s.get("apientry", "welcome", "authkey", s.key, "authid", "vera", "authpwd", "wrong")
	wantPrefix(t, body, "ERROR: auth failed")
	// rating fails without a number (51 fires), then succeeds (51 does not).
	_, body = s.get(append([]string{"apientry", "rating"}, auth...)...)
	wantPrefix(t, body, "ERROR: missing parameter")
	s.exec("INSERT INTO tb_rates (prefix, destination, price) VALUES ('1', 'USA', 0.01)")
	_, body = s.get(append([]string{"apientry", "rating", "bnum", "1555"}, auth...)...)
	wantPrefix(t, body, "0.01 USD")
	_, body = s.get(append([]string{"apientry", "sms", "bnum", "+3620555", "txt", "over http"}, auth...)...)
	wantPrefix(t, body, "OK: sms queued (id ")

	mails := smtp.WaitMails(t, 2, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // room for a wrong third mail
	if mails = smtp.Mails(); len(mails) != 2 {
		t.Fatalf("%d mails: %+v", len(mails), mails)
	}
	byTo := map[string]actionstest.Mail{}
	for _, m := range mails {
		byTo[strings.Join(m.To, ",")] = m
	}
	w, f := byTo["vera@example.com"], byTo["ops@example.com"]
	if w.Subject != "Welcome vera" || strings.TrimSpace(w.Body) != "Hello Vera V, nice to see you" {
		t.Errorf("welcome mail %+v", w)
	}
	if f.Subject != "rating failed for vera" || !strings.HasPrefix(strings.TrimSpace(f.Body), "ERROR: missing parameter") {
		t.Errorf("failure mail %+v", f)
	}
	q := gw.WaitRequests(t, 1, 5*time.Second)[0]
	if q.To != "+3620555" || q.Text != "over http" || q.From != "+3611112222" {
		t.Errorf("sms %+v", q)
	}
}
