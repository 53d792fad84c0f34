package builtin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
)

// Messaging entries: SMS and email through the durable outbox
// (engine.Messenger, package actions). The async ones answer once the
// message is safely stored; the sync ones wait up to smssyncwait for the
// gateway and report its answer.

// smsEntry describes one SMS entry of the reference.
type smsEntry struct {
	name    string
	access  engine.Access
	sync    bool
	unicode bool
	doc     string
}

func registerMessaging(reg *engine.Registry) {
	smsParams := []string{"anum", "bnum", "txt"} // from, to, txt/message
	for _, s := range []smsEntry{
		{"sms", engine.UserAPI, false, false, "Send an SMS (from, to, txt) through the outbox; answers once it is stored."},
		{"sendsms", engine.UserAPI, false, false, "Send an SMS asynchronously (from, to, message)."},
		{"sendsmssync", engine.UserAPI, true, false, "Send an SMS and wait up to smssyncwait seconds for the gateway's answer."},
		{"sendsmsunicode", engine.UserAPI, false, true, "Send a unicode SMS asynchronously."},
		{"sendsmsunicodesync", engine.UserAPI, true, true, "Send a unicode SMS and wait for the gateway's answer."},
		{"asendsms", engine.AdminAPI, false, false, "Admin: send an SMS asynchronously, any sender."},
		{"asendsmssync", engine.AdminAPI, true, false, "Admin: send an SMS and wait for the gateway's answer, any sender."},
	} {
		reg.Add(engine.Builtin{Name: s.name, Access: s.access, Params: smsParams, Handler: sendSMS(s), Doc: s.doc})
	}
	mailParams := []string{"anum", "bnum", "subject", "txt"} // from, to, subject, message
	for _, name := range []string{"sendmail", "asendemail"} {
		// Admin by default: an open sendmail is a spam relay with the
		// server's reputation; a tb_api row can open it to users.
		reg.Add(engine.Builtin{Name: name, Access: engine.AdminAPI, Params: mailParams, Handler: sendMail,
			Doc: "Admin: send an email (from, to, subject, message) through the outbox; from becomes Reply-To."})
	}
}

// sendSMS is the handler of one SMS entry.
func sendSMS(s smsEntry) engine.Handler {
	return func(ctx context.Context, c *engine.Call) (format.Result, error) {
		mg := c.Engine.Messenger()
		if mg == nil {
			return engine.Failf(engine.KindNotSupported, "SMS is not available on this server"), nil
		}
		to := splitRecipients(firstParam(c, "bnum", "to"))
		text := firstParam(c, "txt", "message")
		if len(to) == 0 || text == "" {
			return engine.Errorf("missing parameter: to (bnum) and txt (message) are required"), nil
		}
		from, res, ok := smsSender(c, firstParam(c, "anum", "from"))
		if !ok {
			return res, nil
		}
		m := engine.Message{Kind: "sms", To: to, From: from, Body: text, Unicode: s.unicode}
		if !s.sync {
			id, err := mg.Enqueue(ctx, c, m)
			if err != nil {
				return messageError(c, err)
			}
			if len(to) > 1 {
				return engine.OK(fmt.Sprintf("%d sms queued (first id %d)", len(to), id)), nil
			}
			return engine.OK(fmt.Sprintf("sms queued (id %d)", id)), nil
		}
		if len(to) > 1 {
			return engine.Errorf("%s takes one number in to (bnum)", c.Entry.Name), nil
		}
		wait := time.Duration(max(c.Config.Int("smssyncwait"), 1)) * time.Second
		d, err := mg.SendNow(ctx, c, m, wait)
		switch {
		case err != nil:
			return messageError(c, err)
		case d.Sent:
			return engine.OK(fmt.Sprintf("sms sent (id %d): %s", d.ID, d.Answer)), nil
		case d.Permanent:
			return engine.Errorf("sms not sent (id %d): %s", d.ID, d.Answer), nil
		default:
			return engine.OK(fmt.Sprintf("sms queued for retry (id %d): %s", d.ID, d.Answer)), nil
		}
	}
}

// smsSender decides the sender: an admin may name any; a user sends from
// their own number (tb_users.phone) or username, never someone else's.
// Empty means the user's phone, else smsfrom.
func smsSender(c *engine.Call, from string) (string, format.Result, bool) {
	if c.Admin || c.User == nil {
		return from, format.Result{}, true
	}
	own := []string{c.User.Username, digitsOf(c.User.Phone)}
	if from == "" {
		if own[1] != "" {
			return c.User.Phone, format.Result{}, true
		}
		return "", format.Result{}, true
	}
	for _, o := range own {
		if o != "" && (from == o || digitsOf(from) == o) {
			return from, format.Result{}, true
		}
	}
	return "", engine.Errorf("from: you may send only from your own number or username"), false
}

// sendMail is the handler of sendmail and asendemail.
func sendMail(ctx context.Context, c *engine.Call) (format.Result, error) {
	mg := c.Engine.Messenger()
	if mg == nil {
		return engine.Failf(engine.KindNotSupported, "email is not available on this server"), nil
	}
	to := splitRecipients(firstParam(c, "bnum", "to"))
	body := firstParam(c, "txt", "message")
	if len(to) == 0 || body == "" {
		return engine.Errorf("missing parameter: to (bnum) and message (txt) are required"), nil
	}
	m := engine.Message{Kind: "email", To: to, From: firstParam(c, "anum", "from"), Subject: c.Param("subject"), Body: body}
	id, err := mg.Enqueue(ctx, c, m)
	if err != nil {
		return messageError(c, err)
	}
	return engine.OK(fmt.Sprintf("email queued (id %d)", id)), nil
}

// messageError answers a Messenger error: what was wrong with the input,
// what is not configured (in full to admins only), or an internal error.
func messageError(c *engine.Call, err error) (format.Result, error) {
	switch {
	case errors.Is(err, engine.ErrInvalidMessage):
		return engine.Errorf("%v", err), nil
	case errors.Is(err, engine.ErrNotConfigured) && c.Admin:
		return engine.Errorf("%v", err), nil
	case errors.Is(err, engine.ErrNotConfigured):
		return engine.Failf(engine.KindNotSupported, "%s is not available on this server", c.Entry.Name), nil
	}
	return format.Result{}, err
}

// splitRecipients splits a list of addresses or numbers at commas and semicolons.
func splitRecipients(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// digitsOf keeps the digits of a number (and drops a leading + or 00), so
// +36 1 234 and 0036-1-234 compare equal.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimPrefix(b.String(), "00")
}
