package builtin

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

func registerAdminServer(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "addserver", Params: addServerParams, Handler: addServer,
			Doc: "Add a SIP server or traffic sender (u_type 0 both, 5 traffic sender, 9 SIP server) with fieldnameX/fieldvalX extra tb_users fields."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

// addserver adds a SIP server or traffic sender as a tb_users row, with
// every u_* parameter of the reference's "Addserver API parameters" and up
// to 100 extra fields fieldname0..99 / fieldval0..99. An extra field name
// must be a real column of tb_users (the database's own list) and is
// spliced quoted only then; every value is bound.

var addServerParams = []string{"u_type", "u_name", "u_username", "u_password", "u_domain", "u_ip", "u_port",
	"u_proxy", "u_transport", "u_auth", "u_email", "u_country", "u_currency", "u_credit", "u_routing", "u_routingpriority"}

var hostnameRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// serverRow collects the columns and values of the new row. A soft value
// (a u_* parameter that was not sent) may be replaced by an extra field.
type serverRow struct {
	cols []string
	vals []any
	at   map[string]int
	soft map[string]bool
}

func (r *serverRow) add(col string, v any, soft bool) error {
	key := strings.ToLower(col)
	if i, ok := r.at[key]; ok {
		if !r.soft[key] {
			return fmt.Errorf("field %s given twice", key)
		}
		r.cols[i], r.vals[i], r.soft[key] = col, v, soft
		return nil
	}
	r.at[key], r.soft[key] = len(r.cols), soft
	r.cols, r.vals = append(r.cols, col), append(r.vals, v)
	return nil
}

// splitHostPort accepts host or host:port (IPv6 as [addr]:port or a bare
// address) and returns the port, 0 when none.
func splitHostPort(s string) (string, int, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String(), int(ap.Port()), nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.String(), 0, nil
	}
	host, p, ok := strings.Cut(s, ":")
	if !ok {
		return s, 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", clipText(s, 60))
	}
	return host, n, nil
}

func addServer(ctx context.Context, c *engine.Call) (format.Result, error) {
	res, err := buildServerRow(ctx, c)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	db := c.DB()
	var id int64
	if err := db.QueryRowxContext(ctx, addServerSQL(db.Dialect, res.row.cols), res.row.vals...).Scan(&id); err != nil {
		if isUnique(err) {
			return engine.Errorf("username already exists: %s", res.username), nil
		}
		return engine.Errorf("sql: %v", err), nil
	}
	text := fmt.Sprintf("server added: id=%d username=%s", id, res.username)
	if res.generated != "" {
		text += " password=" + res.generated
	}
	return engine.OK(text), nil
}

// addServerSQL inserts the columns (fixed names, or real columns of
// tb_users) with bound values and returns the new id.
func addServerSQL(d schema.Dialect, cols []string) string {
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = d.Ident(col)
	}
	return d.ReturningID("INSERT INTO tb_users (" + strings.Join(quoted, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(quoted)), ", ") + ")")
}

type serverResult struct {
	row                 *serverRow
	username, generated string
}

func buildServerRow(ctx context.Context, c *engine.Call) (*serverResult, error) {
	p := func(n string) string { return strings.TrimSpace(c.Param(n)) }
	out := &serverResult{row: &serverRow{at: map[string]int{}, soft: map[string]bool{}}}
	row := out.row
	typ := 0
	if s := p("u_type"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || (n != 0 && n != 5 && n != 9) {
			return nil, fmt.Errorf("bad u_type %q: 0 both, 5 traffic sender, 9 SIP server", clipText(s, 12))
		}
		typ = n
	}
	name, username := p("u_name"), p("u_username")
	if name == "" && username == "" {
		return nil, fmt.Errorf("missing parameter: u_name or u_username")
	}
	if username == "" {
		username = strings.Map(func(r rune) rune {
			if r < 128 && (r == '_' || r == '.' || r == '@' || r == '+' || r == '-' ||
				'0' <= r && r <= '9' || 'a' <= r|0x20 && r|0x20 <= 'z') {
				return r
			}
			return '_'
		}, name)
	}
	password := c.Param("u_password")
	if password == "" {
		gen, err := serverPassword(16)
		if err != nil {
			return nil, err
		}
		password, out.generated = gen, gen
	}
	if err := (&engine.NewUser{Username: username, Password: password, Name: name}).Validate(); err != nil {
		return nil, err
	}
	out.username = username
	domain, ip := p("u_domain"), p("u_ip")
	if domain == "" && ip == "" {
		return nil, fmt.Errorf("missing parameter: u_domain or u_ip")
	}
	port := 0
	if ip != "" {
		host, n, err := splitHostPort(ip)
		if err != nil {
			return nil, err
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("bad u_ip %q: an IP address, optionally with :port", clipText(ip, 60))
		}
		ip, port = a.String(), n
	}
	if domain != "" {
		host, n, err := splitHostPort(domain)
		if err != nil {
			return nil, err
		}
		if len(host) > 253 || !hostnameRE.MatchString(host) {
			return nil, fmt.Errorf("bad u_domain %q: a host name, optionally with :port", clipText(domain, 60))
		}
		domain = strings.ToLower(host)
		if port == 0 {
			port = n
		}
	}
	if s := p("u_port"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("bad u_port %q: 1 to 65535", clipText(s, 12))
		}
		port = n
	}
	if port == 0 {
		port = 5060
	}
	transport := strings.ToLower(p("u_transport"))
	switch transport {
	case "":
		transport = "udp"
	case "udp", "tcp", "tls":
	default:
		return nil, fmt.Errorf("bad u_transport %q: udp, tcp or tls", clipText(transport, 12))
	}
	ints := map[string]int{"u_auth": 1, "u_routingpriority": 0}
	for k := range ints {
		if s := p(k); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("bad %s %q: a whole number", k, clipText(s, 12))
			}
			ints[k] = n
		}
	}
	credit := 0.0
	if s := p("u_credit"); s != "" {
		f, err := parseCredit("u_credit", s, false)
		if err != nil {
			return nil, err
		}
		credit = roundTo(f, 4)
	}
	currency := strings.ToUpper(p("u_currency"))
	if currency == "" {
		currency = "USD"
	}
	for _, f := range []struct {
		name string
		max  int
	}{{"u_proxy", 255}, {"u_email", 128}, {"u_country", 64}, {"u_routing", 255}} {
		if len(p(f.name)) > f.max {
			return nil, fmt.Errorf("bad %s: longer than %d characters", f.name, f.max)
		}
	}
	if len(currency) > 8 {
		return nil, fmt.Errorf("bad u_currency: longer than 8 characters")
	}
	for _, kv := range []struct {
		col, param string
		v          any
	}{
		{"type", "u_type", typ}, {"username", "u_username", username}, {"password", "u_password", password},
		{"name", "u_name", name}, {"domain", "u_domain", domain}, {"ip", "u_ip", ip}, {"port", "u_port", port},
		{"proxy", "u_proxy", p("u_proxy")}, {"transport", "u_transport", transport}, {"needauth", "u_auth", ints["u_auth"]},
		{"email", "u_email", p("u_email")}, {"country", "u_country", p("u_country")}, {"currency", "u_currency", currency},
		{"credit", "u_credit", credit}, {"routing", "u_routing", p("u_routing")},
		{"routingpriority", "u_routingpriority", ints["u_routingpriority"]},
	} {
		soft := p(kv.param) == "" && kv.col != "username" && kv.col != "password" && kv.col != "type"
		if err := row.add(kv.col, kv.v, soft); err != nil {
			return nil, err
		}
	}
	return out, addExtraFields(ctx, c, row)
}

// addExtraFields adds fieldnameX/fieldvalX (X 0..99) to row, each name a
// real tb_users column other than id.
func addExtraFields(ctx context.Context, c *engine.Call, row *serverRow) error {
	var cols []dbColumn
	for i := range 100 {
		name := strings.TrimSpace(c.Param("fieldname" + strconv.Itoa(i)))
		if name == "" {
			continue
		}
		if cols == nil {
			var err error
			if cols, err = tableColumns(ctx, c.DB(), "tb_users"); err != nil {
				return err
			}
		}
		col, ok := findColumn(cols, name)
		if !ok || strings.EqualFold(col.Name, "id") {
			return fmt.Errorf("bad fieldname%d %q: not a settable column of tb_users", i, clipText(name, 40))
		}
		v, err := convertValue(col, "", c.Param("fieldval"+strconv.Itoa(i)))
		if err != nil {
			return fmt.Errorf("fieldval%d: %v", i, err)
		}
		if err := row.add(col.Name, v, false); err != nil {
			return err
		}
	}
	return nil
}

// serverPassword returns n random letters and digits.
func serverPassword(n int) (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	// Bytes of 224 and more are dropped so that every letter is equally
	// likely (224 = 4 * len(alphabet)).
	out := make([]byte, 0, n)
	b := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		for _, x := range b {
			if int(x) < 4*len(alphabet) && len(out) < n {
				out = append(out, alphabet[int(x)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
