package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// smsKind compiles custom_action 2 and 52.
type smsKind struct{ a *Actions }

func (k smsKind) Compile(body string, d schema.Dialect, cfg *engine.Config) (engine.Action, error) {
	if err := checkGatewayURL(cfg.Get("smsgatewayurl")); err != nil {
		return nil, err
	}
	b, err := ParseBody(body, engine.DialectFor(d, cfg))
	if err != nil {
		return nil, err
	}
	if len(b.To) == 0 {
		admin := cfg.Get("adminphone")
		if admin == "" {
			return nil, errors.New("no recipient: start the body with ***TO=number or set adminphone in global config")
		}
		if _, err := parsePhone(admin); err != nil {
			return nil, fmt.Errorf("adminphone: %w", err)
		}
	}
	for _, slot := range b.To {
		if lit, ok := slot.literal(); ok {
			if _, err := parsePhone(lit); err != nil {
				return nil, fmt.Errorf("***TO: %w", err)
			}
		}
	}
	return &smsAction{a: k.a, b: b}, nil
}

// checkGatewayURL tells whether smsgatewayurl is usable, without echoing
// it (it often holds an api key).
func checkGatewayURL(raw string) error {
	if raw == "" {
		return errors.New("SMS is off: set smsgatewayurl in global config")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("smsgatewayurl is not an http(s) URL")
	}
	return nil
}

// smsAction renders its body and puts the SMS in the outbox.
type smsAction struct {
	a *Actions
	b *Body
}

var _ engine.TxAction = (*smsAction)(nil)

func (x *smsAction) Run(ctx context.Context, c *engine.Call, res format.Result) error {
	return c.Engine.RunAction(ctx, x, c, res)
}

func (x *smsAction) RunTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, res format.Result) error {
	env := &renderEnv{ctx: ctx, c: c, res: res, q: tx, now: now()}
	var to []string
	var err error
	if len(x.b.To) > 0 {
		to, err = renderPhones(x.b.To, env)
	} else {
		to = []string{c.Config.Get("adminphone")}
	}
	if err != nil {
		return fmt.Errorf("sms: ***TO: %w", err)
	}
	body, err := x.b.Main.render(env, plain)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	m, err := normalize(c.Config, engine.Message{Kind: "sms", To: to, Body: strings.TrimSpace(body), Unicode: !isGSM(body)})
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	_, err = x.a.enqueueTx(ctx, tx, c, m, res.OK)
	return err
}

func (x *smsAction) runInTx(ctx context.Context, tx *sqlx.Tx, c *engine.Call, res format.Result) error {
	return x.RunTx(ctx, tx, c, res)
}

// isGSM reports whether s is plain ASCII printable text (a safe subset of
// the GSM 7-bit alphabet); anything else is sent as unicode.
func isGSM(s string) bool {
	for _, r := range s {
		if r > 0x7e || r < 0x20 && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// sendSMS makes one gateway request for one recipient. The placeholders of
// smsgatewayurl are URL-encoded; a POST also carries them as a form. The
// Idempotency-Key header (and {key}) stay the same on every attempt.
func (a *Actions) sendSMS(ctx context.Context, cfg *engine.Config, m *message) (string, error) {
	raw := cfg.Get("smsgatewayurl")
	if err := checkGatewayURL(raw); err != nil {
		return "", transient("%v", err)
	}
	u, _ := url.Parse(raw)
	vals := map[string]string{"to": m.Recipients, "from": m.Sender, "text": m.Body, "unicode": fmt.Sprint(m.Unicode), "key": m.Key}
	target := expandURL(raw, vals)
	method := strings.ToUpper(cfg.Get("smsgatewaymethod"))
	var body io.Reader
	if method == http.MethodPost {
		form := url.Values{}
		for k, v := range vals {
			form.Set(k, v)
		}
		body = strings.NewReader(form.Encode())
	} else {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", transient("gateway %s: bad request: %v", u.Host, redactURLError(err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Idempotency-Key", m.Key)
	req.Header.Set("User-Agent", "mvapi")
	if auth := cfg.Get("smsgatewayauth"); strings.HasPrefix(auth, "Bearer ") {
		req.Header.Set("Authorization", auth)
	} else if user, pass, ok := strings.Cut(auth, ":"); ok {
		req.SetBasicAuth(user, pass)
	}
	resp, err := a.deps.HTTPClient.Do(req)
	if err != nil {
		return "", transient("gateway %s: %v", u.Host, redactURLError(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	answer := clipAnswer(hideSecrets(string(b), raw, cfg.Get("smsgatewayauth")))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		if want := cfg.Get("smsgatewaysuccess"); want != "" && !strings.Contains(string(b), want) {
			return "", permanent("gateway %s answered HTTP %d without %q: %s", u.Host, code, want, answer)
		}
		if answer == "" {
			answer = fmt.Sprintf("HTTP %d", code)
		}
		return answer, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return "", transient("gateway %s: HTTP %d: %s", u.Host, code, answer)
	default:
		return "", permanent("gateway %s refused the message: HTTP %d: %s", u.Host, code, answer)
	}
}

// expandURL replaces {name} placeholders with URL-encoded values.
func expandURL(raw string, vals map[string]string) string {
	pairs := make([]string, 0, 2*len(vals))
	for k, v := range vals {
		pairs = append(pairs, "{"+k+"}", url.QueryEscape(v))
	}
	return strings.NewReplacer(pairs...).Replace(raw)
}

// hideSecrets masks in a gateway's answer what it may echo of our
// credentials: the fixed query values of smsgatewayurl (an api key), its
// password and smsgatewayauth.
func hideSecrets(s, rawURL, auth string) string {
	var secrets []string
	if u, err := url.Parse(rawURL); err == nil {
		for _, vs := range u.Query() {
			for _, v := range vs {
				if !strings.Contains(v, "{") {
					secrets = append(secrets, v, url.QueryEscape(v))
				}
			}
		}
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
	}
	if auth != "" {
		_, pass, _ := strings.Cut(strings.TrimPrefix(auth, "Bearer "), ":")
		secrets = append(secrets, auth, strings.TrimPrefix(auth, "Bearer "), pass)
	}
	for _, x := range secrets {
		if len(x) >= 4 {
			s = strings.ReplaceAll(s, x, "xxxxx")
		}
	}
	return s
}

// redactURLError drops the URL (and its api key) from an HTTP client error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
