package actions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"mvapi/actions"
	"mvapi/actions/actionstest"
	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestEmailActionDelivers: custom_action 1 renders ***TO, ***SUBJECT, the
// request's parameters, the user's fields and a {select ...} with USERID
// bound, and the real SMTP server receives it once with those values.
func TestEmailActionDelivers(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, true, nil, actions.Deps{})
		id := mvtest.MustUser(t, r.db, engine.NewUser{Username: "vera", Password: "verapass1", Name: "Vera V", Email: "vera@example.com"})
		mvtest.MustExec(t, r.db, "INSERT INTO tb_cdrs (callerid, called) VALUES (?, '3612345'), (?, '3698765')", id, id)
		r.row("notify", "SELECT 'noted'", 1, "***TO={email}, ops@example.com\n***SUBJECT=Hello {username} ({sparam1})\n"+
			"Dear {name}: {txt}\ncalls: {select count(*) from tb_cdrs where callerid = USERID}")

		got := r.serve("apientry", "notify", "authid", "vera", "authpwd", "verapass1", "txt", "hi there",
			"sparam1", "x\r\nBcc: evil@example.com")
		if got != "OK: noted" {
			t.Fatal(got)
		}
		m := r.smtp.WaitMails(t, 1, 5*time.Second)[0]
		if strings.Join(m.To, ",") != "vera@example.com,ops@example.com" {
			t.Errorf("envelope to %q", m.To)
		}
		if m.Subject != "Hello vera (x  Bcc: evil@example.com)" || m.Header.Get("Bcc") != "" {
			t.Errorf("subject %q, bcc %q: a value must not add a header", m.Subject, m.Header.Get("Bcc"))
		}
		if !strings.Contains(m.Body, "Dear Vera V: hi there") || !strings.Contains(m.Body, "calls: 2") {
			t.Errorf("body %q", m.Body)
		}
		if m.From != "mvapi@example.com" || !strings.HasPrefix(m.MessageID, "mvapi.") || !strings.HasSuffix(m.MessageID, "@example.com") {
			t.Errorf("from %q message-id %q", m.From, m.MessageID)
		}
		rows := r.waitSettled(1)
		if rows[0].Status != "sent" || rows[0].Attempts != 1 || !strings.Contains(m.MessageID, rows[0].Key) {
			t.Errorf("outbox %+v, message-id %q", rows[0], m.MessageID)
		}
		if n := r.smtp.Count(m.MessageID); n != 1 {
			t.Errorf("delivered %d times", n)
		}
	})
}

// TestEmailHTMLBodyEscapesValues: a body starting with '<' is sent as HTML
// and every substituted value is escaped; without ***TO it goes to
// adminemail with the default subject.
func TestEmailHTMLBodyEscapesValues(t *testing.T) {
	r := newRig(t, true, nil, actions.Deps{})
	r.row("page", "SELECT 1", 1, "<p>Said: {txt}</p>")
	r.serve("apientry", "page", "txt", `<script>alert("x")</script>`)
	m := r.smtp.WaitMails(t, 1, 5*time.Second)[0]
	if !strings.Contains(m.Body, "<p>Said: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>") {
		t.Errorf("body %q", m.Body)
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	if strings.Join(m.To, ",") != "admin@example.com" || m.Subject != "mvapi: page succeeded" {
		t.Errorf("to %q subject %q", m.To, m.Subject)
	}
}

// TestEmailJoinsTheRequestTransaction: with a customsql write, the message
// is written in the same transaction: a recipient that does not render
// rolls the write back and the client hears why; a good one commits both.
func TestEmailJoinsTheRequestTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, true, nil, actions.Deps{})
		r.row("logit", "*INSERT INTO tb_cdrs (caller) VALUES ([SPARAM2])", 1, "***TO={sparam1}\nlogged {sparam2}")

		got := r.serve("apientry", "logit", "sparam1", "a@example.com, b@example.com", "sparam2", "first")
		if !strings.HasPrefix(got, "ERROR: sql: custom_action: email: ***TO: invalid message:") {
			t.Fatalf("answer %q", got)
		}
		if n := r.count("SELECT COUNT(*) FROM tb_cdrs") + r.count("SELECT COUNT(*) FROM tb_outbox"); n != 0 {
			t.Fatalf("%d rows written by a failed request", n)
		}
		if got := r.serve("apientry", "logit", "sparam1", "a@example.com", "sparam2", "second"); got != "OK: 1 rows affected" {
			t.Fatal(got)
		}
		if r.count("SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'second'") != 1 || len(r.outbox()) != 1 {
			t.Fatal("write and message not both committed")
		}
		if m := r.smtp.WaitMails(t, 1, 5*time.Second)[0]; m.Body != "logged second" && !strings.HasPrefix(m.Body, "logged second") {
			t.Errorf("body %q", m.Body)
		}
	})
}

// TestSMTPDownThenUpDeliversOnce: while the server is down attempts fail
// and are retried with backoff; once it is up the message arrives exactly
// once.
func TestSMTPDownThenUpDeliversOnce(t *testing.T) {
	r := newRig(t, false, map[string]string{"outboxmaxattempts": "50"}, actions.Deps{})
	r.row("ping", "SELECT 1", 1, "***SUBJECT=ping\nbody")
	start := time.Now()
	r.serve("apientry", "ping")
	for deadline := time.Now().Add(5 * time.Second); ; {
		rows := r.outbox()
		if len(rows) == 1 && rows[0].Attempts >= 3 {
			if rows[0].Status != "pending" || !strings.Contains(rows[0].LastError, "smtp 127.0.0.1") {
				t.Fatalf("while down: %+v", rows[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retries while down: %+v", rows)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.smtp.Start(t)
	m := r.smtp.WaitMails(t, 1, 5*time.Second)[0]
	t.Logf("delivered %v after the request, %d attempts", time.Since(start).Round(time.Millisecond), r.outbox()[0].Attempts)
	time.Sleep(200 * time.Millisecond) // a second delivery would show up now
	if r.smtp.Count(m.MessageID) != 1 || len(r.smtp.Mails()) != 1 {
		t.Fatalf("delivered %d times", r.smtp.Count(m.MessageID))
	}
	if row := r.waitSettled(1)[0]; row.Status != "sent" || row.LastError != "" {
		t.Fatalf("%+v", row)
	}
}

// TestSMTPRecipientRefusedIsADeadLetter: a 5xx answer is not retried.
func TestSMTPRecipientRefusedIsADeadLetter(t *testing.T) {
	r := newRig(t, true, nil, actions.Deps{})
	r.smtp.RejectRcpt = func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	r.row("ping", "SELECT 1", 1, "***TO=nobody@example.com\nx")
	r.serve("apientry", "ping")
	row := r.waitSettled(1)[0]
	if row.Status != "dead" || row.Attempts != 1 || !strings.Contains(row.LastError, "no such user") {
		t.Fatalf("%+v", row)
	}
}

// TestSMTPStartTLSAndAuth: with smtptls=starttls the password goes only over
// TLS; a server without STARTTLS is refused rather than spoken to in clear.
func TestSMTPStartTLSAndAuth(t *testing.T) {
	srvTLS, cliTLS := actionstest.SelfSigned(t)
	sets := map[string]string{"smtptls": "starttls", "smtpuser": "mailer", "smtppassword": "s3cr3t-pw"}
	r := newRig(t, false, sets, actions.Deps{SMTPTLS: cliTLS})
	r.smtp.User, r.smtp.Password, r.smtp.TLS = "mailer", "s3cr3t-pw", srvTLS
	r.smtp.Start(t)
	r.row("ping", "SELECT 1", 1, "tls body")
	r.serve("apientry", "ping")
	r.smtp.WaitMails(t, 1, 5*time.Second)
	if r.smtp.Auths() != 1 {
		t.Fatalf("auths %d", r.smtp.Auths())
	}

	plain := newRig(t, true, map[string]string{"smtptls": "starttls", "outboxmaxattempts": "1"}, actions.Deps{})
	plain.row("ping", "SELECT 1", 1, "x")
	plain.serve("apientry", "ping")
	if row := plain.waitSettled(1)[0]; row.Status != "dead" || !strings.Contains(row.LastError, "STARTTLS") {
		t.Fatalf("%+v", row)
	}
	if len(plain.smtp.Mails()) != 0 {
		t.Fatal("mail sent without TLS")
	}
	if strings.Contains(r.log.String()+plain.log.String(), "s3cr3t-pw") {
		t.Fatal("SMTP password in the log")
	}
}

// TestMessengerEnqueueChecksInput: the Messenger answers bad input and
// missing configuration with errors fit for the client.
func TestMessengerEnqueueChecksInput(t *testing.T) {
	r := newRig(t, true, nil, actions.Deps{})
	c := r.call("apitest")
	ctx := context.Background()
	for _, m := range []engine.Message{
		{Kind: "email", To: []string{"not an address"}, Body: "x"},
		{Kind: "email", To: nil, Body: "x"},
		{Kind: "sms", To: []string{"12;34"}, Body: "x"},
		{Kind: "sms", To: []string{"+3612345678"}, Body: "  "},
		{Kind: "sms", To: []string{"+3612345678"}, From: "way too long sender", Body: "x"},
		{Kind: "fax", To: []string{"1234"}},
	} {
		if _, err := r.a.Enqueue(ctx, c, m); err == nil || !strings.Contains(err.Error(), "invalid message") {
			t.Errorf("%+v: %v", m, err)
		}
	}
	off := newRig(t, true, map[string]string{"smtphost": ""}, actions.Deps{})
	_, err := off.a.Enqueue(ctx, off.call("apitest"), engine.Message{Kind: "email", To: []string{"a@example.com"}})
	if err == nil || err.Error() != "not configured: email: set smtphost and smtpfrom in global config" {
		t.Fatal(err)
	}
	if len(r.outbox())+len(off.outbox()) != 0 {
		t.Fatal("bad messages stored")
	}
}
