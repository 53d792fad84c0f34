package actions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	mail "github.com/wneessen/go-mail"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// emailKind compiles custom_action 1 and 51.
type emailKind struct{ a *Actions }

func (k emailKind) Compile(body string, d schema.Dialect, cfg *engine.Config) (engine.Action, error) {
	if cfg.Get("smtphost") == "" || cfg.Get("smtpfrom") == "" {
		return nil, errors.New("email is off: set smtphost and smtpfrom in global config")
	}
	b, err := ParseBody(body, engine.DialectFor(d, cfg))
	if err != nil {
		return nil, err
	}
	if len(b.To) == 0 {
		admin := cfg.Get("adminemail")
		if admin == "" {
			return nil, errors.New("no recipient: start the body with ***TO=address or set adminemail in global config")
		}
		if _, err := parseEmail(admin); err != nil {
			return nil, fmt.Errorf("adminemail: %w", err)
		}
	}
	for _, slot := range b.To {
		if lit, ok := slot.literal(); ok {
			if _, err := parseEmail(lit); err != nil {
				return nil, fmt.Errorf("***TO: %w", err)
			}
		}
	}
	return &emailAction{a: k.a, b: b}, nil
}

// emailAction renders its body and puts the email in the outbox.
type emailAction struct {
	a *Actions
	b *Body
}

var _ engine.TxAction = (*emailAction)(nil)

func (x *emailAction) Run(ctx context.Context, c *engine.Call, res format.Result) error {
	return c.Engine.RunAction(ctx, x, c, res)
}

func (x *emailAction) RunTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, res format.Result) error {
	env := &renderEnv{ctx: ctx, c: c, res: res, q: tx, now: now()}
	var to []string
	var err error
	if len(x.b.To) > 0 {
		to, err = renderEmails(x.b.To, env)
	} else {
		var admin string
		admin, err = parseEmail(c.Config.Get("adminemail"))
		to = []string{admin}
	}
	if err != nil {
		return fmt.Errorf("email: ***TO: %w", err)
	}
	subject := defaultSubject(c, res)
	if x.b.HasSubject {
		if subject, err = x.b.Subject.render(env, oneLine); err != nil {
			return fmt.Errorf("email: ***SUBJECT: %w", err)
		}
	}
	esc := plain
	if x.b.HTML {
		esc = htmlText
	}
	body, err := x.b.Main.render(env, esc)
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	m, err := normalize(c.Config, engine.Message{Kind: "email", To: to, Subject: subject, Body: body, HTML: x.b.HTML})
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	_, err = x.a.enqueueTx(ctx, tx, c, m, res.OK)
	return err
}

func (x *emailAction) runInTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, res format.Result) error {
	return x.RunTx(ctx, tx, c, res)
}

// defaultSubject is the subject without a ***SUBJECT line.
func defaultSubject(c *engine.Call, res format.Result) string {
	name := "request"
	if c.Entry != nil {
		name = c.Entry.Name
	}
	if res.OK {
		return "mvapi: " + name + " succeeded"
	}
	return "mvapi: " + name + " failed"
}

// sendEmail makes one SMTP attempt. The Message-ID is derived from the
// idempotency key, so every attempt of one message carries the same one.
func (a *Actions) sendEmail(ctx context.Context, cfg *engine.Config, m *message) (string, error) {
	host, from := cfg.Get("smtphost"), cfg.Get("smtpfrom")
	if host == "" || from == "" {
		return "", transient("email is not configured: set smtphost and smtpfrom")
	}
	msg := mail.NewMsg()
	if err := msg.From(from); err != nil {
		return "", transient("smtpfrom %q: %v", from, err)
	}
	if err := msg.To(m.to()...); err != nil {
		return "", permanent("recipient: %v", err)
	}
	if m.Sender != "" {
		if err := msg.ReplyTo(m.Sender); err != nil {
			return "", permanent("reply-to: %v", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue("mvapi." + m.Key + "@" + domainOf(from))
	msg.SetDate()
	msg.SetUserAgent("mvapi")
	ct := mail.TypeTextPlain
	if m.HTML == 1 {
		ct = mail.TypeTextHTML
	}
	msg.SetBodyString(ct, m.Body)

	client, err := mail.NewClient(host, a.smtpOptions(cfg, host)...)
	if err != nil {
		return "", transient("smtp %s: %v", host, err)
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", transient("smtp %s: %v", host, err)
	}
	defer client.CloseWithSMTPClient(sc)
	err = client.SendWithSMTPClient(sc, msg)
	if msg.IsDelivered() {
		// Accepted: an error after DATA (RSET, QUIT) does not undo it.
		if r := msg.ServerResponse(); r != "" {
			return r, nil
		}
		return "250 accepted", nil
	}
	if err == nil {
		return "", transient("smtp %s: not accepted", host)
	}
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() {
		switch se.Reason {
		case mail.ErrSMTPMailFrom, mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose, mail.ErrGetRcpts:
			return "", permanent("smtp %s refused the message: %v", host, err)
		}
	}
	return "", transient("smtp %s: %v", host, err)
}

// smtpOptions builds the client options from global config. The password
// is handed to go-mail only; it is never logged.
func (a *Actions) smtpOptions(cfg *engine.Config, host string) []mail.Option {
	port, _ := strconv.Atoi(cfg.Get("smtpport"))
	timeout := seconds(cfg, "smtptimeout")
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(timeout), mail.WithoutNoop()}
	enc := true
	switch strings.ToLower(cfg.Get("smtptls")) {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		enc = false
	case "tls":
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if a.deps.SMTPTLS != nil {
		t := a.deps.SMTPTLS.Clone()
		t.ServerName = host
		opts = append(opts, mail.WithTLSConfig(t))
	}
	if user := cfg.Get("smtpuser"); user != "" {
		// Without TLS only PLAIN to localhost is allowed (go-mail refuses
		// to send a password in clear text elsewhere).
		auth := mail.SMTPAuthAutoDiscover
		if !enc {
			auth = mail.SMTPAuthPlain
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(user), mail.WithPassword(cfg.Get("smtppassword")))
	}
	return opts
}

// domainOf is the domain of an address, for Message-IDs.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.Trim(addr[i+1:], "<> ")
	}
	return "mvapi.invalid"
}
