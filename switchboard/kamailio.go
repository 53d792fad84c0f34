// Package switchboard connects mvapi to a SIP switch. Kamailio is the one
// it knows: mvapi ships its configuration (kamailio.cfg, embedded as
// Config), Kamailio shares mvapi's database (tb_users through the view
// kam_subscriber, its own location table) and mvapi reads and removes
// registrations through Kamailio's JSON-RPC (xhttp + jsonrpcs) at the
// kamrpc address. It implements engine.Switch; server.Build registers it
// as switch=kamailio.
package switchboard

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"mvapi/engine"
	"mvapi/schema"
)

// Config is the shipped kamailio.cfg: a registrar and proxy on mvapi's
// database. Render fills in its five settings.
//
//go:embed kamailio.cfg
var Config string

// Settings are the lines of Config an installation sets.
type Settings struct {
	DBURL    string // Kamailio's database URL: postgres://U:P@H:PORT/DB or sqlite:///PATH
	DBModule string // db_postgres.so or db_sqlite.so
	SIPAddr  string // IP:PORT of SIP (UDP and TCP)
	RPCAddr  string // IP:PORT of the JSON-RPC listener (kamrpc is http://RPCAddr/RPC)
}

// Render returns Config with s substituted for its example settings.
func Render(s Settings) (string, error) {
	_, port, err := net.SplitHostPort(s.RPCAddr)
	if err != nil {
		return "", fmt.Errorf("rpc address %q: %w", s.RPCAddr, err)
	}
	for _, v := range []string{s.DBURL, s.DBModule, s.SIPAddr, s.RPCAddr} {
		if v == "" || strings.ContainsAny(v, "!\"\n") {
			return "", fmt.Errorf("bad setting %q", v)
		}
	}
	out := Config
	for name, v := range map[string]string{
		"MV_DBURL": s.DBURL, "MV_DBMODULE": s.DBModule, "MV_SIP_ADDR": s.SIPAddr,
		"MV_RPC_ADDR": s.RPCAddr, "MV_RPC_PORT": port,
	} {
		i := strings.Index(out, `#!substdef "!`+name+`!`)
		if i < 0 {
			return "", fmt.Errorf("kamailio.cfg has no %s line", name)
		}
		j := i + strings.IndexByte(out[i:], '\n')
		out = out[:i] + `#!substdef "!` + name + `!` + v + `!g"` + out[j:]
	}
	return out, nil
}

// Kamailio is the engine.Switch of switch=kamailio.
type Kamailio struct {
	db     *schema.DB
	log    *slog.Logger
	client *http.Client
	seq    atomic.Int64
	w      worker
}

// New returns the Kamailio switch on db (where unreg marks users offline).
func New(db *schema.DB, log *slog.Logger) *Kamailio {
	if log == nil {
		log = slog.Default()
	}
	return &Kamailio{db: db, log: log, client: &http.Client{
		// A bound of its own besides the request's context: a Kamailio
		// that accepts but never answers must not hold a request long.
		Timeout: 5 * time.Second,
	}}
}

var _ engine.Switch = (*Kamailio)(nil)

// errDown is the answer when Kamailio cannot be reached.
func errDown(err error) error {
	return &engine.Error{Kind: engine.KindUnavailable, Message: "the switch (Kamailio) does not answer; try again later", Err: err}
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("kamailio rpc %d: %s", e.Code, e.Message) }

// call runs one JSON-RPC method and decodes its result into out.
func (k *Kamailio) call(ctx context.Context, cfg *engine.Config, out any, method string, params ...any) error {
	addr := strings.TrimSpace(cfg.Get("kamrpc"))
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &engine.Error{Kind: engine.KindUnavailable, Message: "the switch is not configured: set kamrpc to Kamailio's JSON-RPC URL (http://HOST:PORT/RPC)"}
	}
	if params == nil {
		params = []any{}
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": k.seq.Add(1)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, addr, bytes.NewReader(body))
	if err != nil {
		return errDown(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := k.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		k.log.Warn("kamailio rpc", "method", method, "url", addr, "err", err)
		return errDown(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return errDown(err)
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		k.log.Warn("kamailio rpc: not JSON-RPC", "method", method, "status", res.StatusCode, "err", err)
		return errDown(fmt.Errorf("HTTP %d, not a JSON-RPC answer", res.StatusCode))
	}
	if env.Error != nil {
		return env.Error
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Result, out)
}

// ulContact is a contact of ul.dump and ul.lookup.
type ulContact struct {
	Contact struct {
		Address   string `json:"Address"`
		Expires   any    `json:"Expires"` // seconds, or "permanent"
		CallID    string `json:"Call-ID"`
		UserAgent string `json:"User-Agent"`
		Received  string `json:"Received"`
	} `json:"Contact"`
}

func (c ulContact) contact(user string) engine.Contact {
	out := engine.Contact{User: user, Address: c.Contact.Address, Received: c.Contact.Received,
		UserAgent: c.Contact.UserAgent, CallID: c.Contact.CallID}
	if n, ok := c.Contact.Expires.(float64); ok {
		out.Expires = int(n)
	}
	if out.Received == "[not set]" {
		out.Received = ""
	}
	return out
}

// notFound is Kamailio's answer to ul.lookup or ul.rm of a user without
// registrations.
func notFound(err error) bool {
	var re *rpcError
	return errors.As(err, &re) && (re.Code == 404 || strings.Contains(strings.ToLower(re.Message), "not found"))
}

// Contacts implements engine.Switch.
func (k *Kamailio) Contacts(ctx context.Context, cfg *engine.Config, user string) ([]engine.Contact, error) {
	if user != "" {
		var r struct {
			AoR      string      `json:"AoR"`
			Contacts []ulContact `json:"Contacts"`
		}
		err := k.call(ctx, cfg, &r, "ul.lookup", "location", user)
		if notFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		out := make([]engine.Contact, 0, len(r.Contacts))
		for _, c := range r.Contacts {
			out = append(out, c.contact(user))
		}
		return out, nil
	}
	var r struct {
		Domains []struct {
			Domain struct {
				AoRs []struct {
					Info struct {
						AoR      string      `json:"AoR"`
						Contacts []ulContact `json:"Contacts"`
					} `json:"Info"`
				} `json:"AoRs"`
			} `json:"Domain"`
		} `json:"Domains"`
	}
	if err := k.call(ctx, cfg, &r, "ul.dump"); err != nil {
		return nil, err
	}
	var out []engine.Contact
	for _, d := range r.Domains {
		for _, a := range d.Domain.AoRs {
			for _, c := range a.Info.Contacts {
				out = append(out, c.contact(a.Info.AoR))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out, nil
}

// Unregister implements engine.Switch: ul.rm (or ul.rm_contact for the
// contacts received from ip), then the users left without a contact are
// marked offline in tb_users (ul.rm raises no event Kamailio's config
// could act on).
func (k *Kamailio) Unregister(ctx context.Context, cfg *engine.Config, user, ip string) (int, error) {
	all, err := k.Contacts(ctx, cfg, user)
	if err != nil {
		return 0, err
	}
	var want netip.Addr
	if ip != "" {
		if want, err = netip.ParseAddr(ip); err != nil {
			return 0, engine.Fail(engine.KindInvalid, "bad ip %q", ip)
		}
	}
	removed := 0
	users := map[string]bool{}
	for _, c := range all {
		if ip != "" {
			if !fromIP(c, want) {
				continue
			}
			err = k.call(ctx, cfg, nil, "ul.rm_contact", "location", c.User, c.Address)
		} else if !users[c.User] {
			err = k.call(ctx, cfg, nil, "ul.rm", "location", c.User)
		}
		if err != nil && !notFound(err) {
			return removed, err
		}
		users[c.User] = true
		removed++
	}
	for u := range users {
		left, err := k.Contacts(ctx, cfg, u)
		if err != nil {
			return removed, err
		}
		if len(left) > 0 {
			continue
		}
		if _, err := k.db.ExecContext(ctx, offlineSQL(k.db.Dialect), time.Now().UTC(), u); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// fromIP says whether c was received from (or registered) the address ip.
func fromIP(c engine.Contact, ip netip.Addr) bool {
	for _, s := range []string{c.Received, c.Address} {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "sips:"), "sip:")
		if i := strings.LastIndexByte(s, '@'); i >= 0 {
			s = s[i+1:]
		}
		if i := strings.IndexAny(s, ";>"); i >= 0 {
			s = s[:i]
		}
		host := s
		if h, _, err := net.SplitHostPort(s); err == nil {
			host = h
		}
		if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && a == ip {
			return true
		}
	}
	return false
}

var offlineSQL = schema.Statement("UPDATE tb_users SET status = 0, statusdate = ? WHERE username = ?")
