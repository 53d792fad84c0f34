package builtin_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
)

// TestDBEntry: db runs any statement for an authenticated admin: rows as a
// table (at most 1000), writes as rows affected, errors as ERROR; a
// trusted IP without credentials is not enough.
func TestDBEntry(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		ann := v.user("ann", engine.TypeEndUser, 1)
		res := v.as("root", "db", "txt", "SELECT username, type FROM tb_users ORDER BY id")
		wantOK(t, res, "OK: 2 rows")
		if got := strings.Join(column(t, res, "username"), ","); got != "root,ann" {
			t.Fatalf("usernames %q", got)
		}
		wantOK(t, v.as("root", "db", "param1", "UPDATE tb_users SET credit = 7 WHERE username = 'ann'"), "OK: 1 rows affected")
		if v.credit(ann) != 7 {
			t.Fatal("update not applied")
		}
		res = v.as("root", "db", "txt", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1500) SELECT i FROM r")
		wantOK(t, res, "OK: 1000 rows (the first 1000; there are more)")
		// The reference's T-SQL runs as customsqldialect says (auto).
		res = v.as("root", "db", "txt", "SELECT TOP 1 username, type FROM tb_users WITH (NOLOCK) WHERE len(username) > 0 ORDER BY id")
		wantOK(t, res, "OK: 1 rows")
		if got := strings.Join(column(t, res, "username"), ","); got != "root" {
			t.Fatalf("TOP 1 usernames %q", got)
		}
		wantErr(t, v.as("root", "db", "txt", "EXEC sp_who"), "EXEC")
		wantErr(t, v.as("root", "db", "txt", "SELEKT nothing"), "sql: ")
		wantErr(t, v.as("root", "db"), "missing parameter: txt")
		wantErr(t, v.serve("127.0.0.1", "db", "txt", "DELETE FROM tb_users"), "db needs an authenticated admin user")
		if v.count("SELECT COUNT(*) FROM tb_users") != 2 {
			t.Fatal("db ran for a trusted IP without credentials")
		}
	})
}

// TestGetFieldAndAdminSetField: identifiers are checked against the
// database's own lists and values are bound; the reference's defaults
// apply (tb_users, id, filter guessed from username/callerid/userid).
func TestGetFieldAndAdminSetField(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		ann := v.user("ann", engine.TypeEndUser, 1)
		sid := strconv.FormatInt(ann, 10)
		v.exec("UPDATE tb_users SET email = 'ann@example.com' WHERE id = ?", ann)
		v.exec("INSERT INTO tb_cdrs (datum, callerid, called, duration) VALUES (?, ?, '3612345', 30)", time.Now().UTC(), ann)
		v.exec("INSERT INTO tb_rates (prefix, destination, price) VALUES ('36', 'Hungary', 0.1)")
		if got := v.admin("getfield", "filterfieldvalue", "ann"); got != "OK: "+sid {
			t.Fatalf("default getfield %q", got)
		}
		if got := v.admin("getfield", "retfieldname", "email", "filterfieldname", "id", "filterfieldvalue", sid); got != "OK: ann@example.com" {
			t.Fatalf("email %q", got)
		}
		if got := v.admin("getfield", "table", "TB_CDRS", "retfieldname", "called", "filterfieldvalue", sid); got != "OK: 3612345" {
			t.Fatalf("cdr by guessed callerid %q", got)
		}
		for _, tc := range []struct {
			want string
			kv   []string
		}{
			{"bad table name", []string{"table", "tb_users; DROP TABLE tb_users", "filterfieldvalue", "ann"}},
			{"unknown table: nosuch", []string{"table", "nosuch", "filterfieldvalue", "ann"}},
			{"unknown field", []string{"retfieldname", "id FROM tb_users --", "filterfieldvalue", "ann"}},
			{"unknown field", []string{"filterfieldname", "username = username OR 1", "filterfieldvalue", "ann"}},
			{"missing parameter: filterfieldvalue", nil},
			{"not found", []string{"filterfieldvalue", "x' OR '1'='1"}},
			{"bad value for id", []string{"filterfieldname", "id", "filterfieldvalue", "1 OR 1=1"}},
			{"send filterfieldname", []string{"table", "tb_rates", "filterfieldvalue", "36"}},
		} {
			wantErr(t, v.as("root", "getfield", tc.kv...), tc.want)
		}

		rate := strconv.Itoa(v.count("SELECT id FROM tb_rates WHERE prefix = '36'"))
		wantOK(t, v.as("root", "setfield", "table", "tb_rates", "fieldname", "destination", "fieldvalue", "Hungary'; --", "rowid", rate), "OK: tb_rates.destination updated")
		wantOK(t, v.as("root", "setfield", "table", "tb_users", "fieldtype", "int", "fieldname", "port", "fieldvalue", "5070", "rowid", sid), "OK: tb_users.port updated")
		if got := v.admin("getfield", "table", "tb_rates", "retfieldname", "destination", "filterfieldname", "prefix", "filterfieldvalue", "36"); got != "OK: Hungary'; --" {
			t.Fatalf("destination %q", got)
		}
		if v.count("SELECT port FROM tb_users WHERE id = ?", ann) != 5070 {
			t.Fatal("port not set")
		}
		for _, tc := range []struct {
			want string
			kv   []string
		}{
			{"id column cannot be changed", []string{"table", "tb_rates", "fieldname", "id", "fieldvalue", "9", "rowid", rate}},
			{"missing or bad rowid", []string{"table", "tb_rates", "fieldname", "price", "fieldvalue", "9"}},
			{"unknown field", []string{"table", "tb_rates", "fieldname", "price = 0 --", "fieldvalue", "9", "rowid", rate}},
			{"bad value for port", []string{"table", "tb_users", "fieldname", "port", "fieldvalue", "abc", "rowid", sid}},
			{"bad value for fieldtype=int", []string{"table", "tb_users", "fieldtype", "int", "fieldname", "name", "fieldvalue", "x", "rowid", sid}},
			{"no tb_rates row with id 99999", []string{"table", "tb_rates", "fieldname", "price", "fieldvalue", "1", "rowid", "99999"}},
			{"unknown table", []string{"table", "tb_nope", "fieldname", "price", "fieldvalue", "1", "rowid", rate}},
		} {
			wantErr(t, v.as("root", "setfield", tc.kv...), tc.want)
		}
		// Without table an admin still gets the user form's tb_users fields.
		wantOK(t, v.as("root", "setfield", "fieldname", "email", "fieldvalue", "new@example.com", "rowid", sid), "OK: email updated")
	})
}

// TestAddServer: the reference's example and every u_* parameter, extra
// fieldnameX/fieldvalX checked against tb_users' columns.
func TestAddServer(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		got := v.admin("addserver", "u_name", "NAME", "u_domain", "xxx.tokuvoip.com", "now", "711")
		if !strings.HasPrefix(got, "OK: server added: id=") || !strings.Contains(got, "username=NAME password=") {
			t.Fatalf("reference example: %q", got)
		}
		var dom, tr string
		var port, auth, typ int
		v.db.QueryRow("SELECT domain, transport, port, needauth, type FROM tb_users WHERE username = 'NAME'").Scan(&dom, &tr, &port, &auth, &typ)
		if dom != "xxx.tokuvoip.com" || tr != "udp" || port != 5060 || auth != 1 || typ != 0 {
			t.Fatalf("defaults: %s %s %d %d %d", dom, tr, port, auth, typ)
		}
		wantOK(t, v.as("root", "addserver", "u_type", "9", "u_username", "gw1", "u_password", "gwpass123", "u_ip", "10.1.2.3:5080",
			"u_proxy", "proxy.example.com", "u_transport", "TLS", "u_auth", "2", "u_email", "noc@example.com", "u_country", "HU",
			"u_currency", "eur", "u_credit", "3.5", "u_routing", "null", "u_routingpriority", "5",
			"fieldname0", "phone", "fieldval0", "+3611111", "fieldname7", "PARENTID", "fieldval7", "42", "fieldname99", "address", "fieldval99", "Main St"),
			"OK: server added: id=")
		row := map[string]any{}
		if err := v.db.QueryRowx("SELECT type, ip, port, proxy, transport, needauth, email, country, currency, routing, routingpriority, phone, parentid, address, password FROM tb_users WHERE username = 'gw1'").MapScan(row); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"type": "9", "ip": "10.1.2.3", "port": "5080", "proxy": "proxy.example.com", "transport": "tls",
			"needauth": "2", "email": "noc@example.com", "country": "HU", "currency": "EUR", "routing": "null",
			"routingpriority": "5", "phone": "+3611111", "parentid": "42", "address": "Main St", "password": "gwpass123"}
		for k, w := range want {
			if got := cell(row[k]); got != w {
				t.Errorf("%s = %q, want %q", k, got, w)
			}
		}
		if c := v.count("SELECT CAST(credit * 10 AS INTEGER) FROM tb_users WHERE username = 'gw1'"); c != 35 {
			t.Errorf("credit*10 = %d", c)
		}
		wantOK(t, v.as("root", "addserver", "u_username", "gw2", "u_ip", "10.1.2.4", "fieldname0", "email", "fieldval0", "x@example.com"), "OK: ")
		for _, tc := range []struct {
			want string
			kv   []string
		}{
			{"username already exists: gw1", []string{"u_username", "gw1", "u_ip", "10.1.2.3"}},
			{"not a settable column", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "fieldname1", "id", "fieldval1", "1"}},
			{"not a settable column", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "fieldname1", "name) VALUES ('x'); --", "fieldval1", "1"}},
			{"not a settable column", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "fieldname1", "nosuchcolumn", "fieldval1", "1"}},
			{"field email given twice", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "u_email", "a@b.c", "fieldname1", "email", "fieldval1", "x"}},
			{"fieldval3: bad value for port", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "fieldname2", "routingpriority", "fieldval2", "1", "fieldname3", "port", "fieldval3", "x"}},
			{"bad u_type", []string{"u_type", "4", "u_username", "gw3", "u_ip", "10.1.2.3"}},
			{"u_name or u_username", []string{"u_ip", "10.1.2.3"}},
			{"u_domain or u_ip", []string{"u_username", "gw3"}},
			{"bad u_ip", []string{"u_username", "gw3", "u_ip", "10.1.2"}},
			{"bad u_domain", []string{"u_username", "gw3", "u_domain", "bad domain.com"}},
			{"bad u_port", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "u_port", "70000"}},
			{"bad u_transport", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "u_transport", "sctp"}},
			{"invalid password", []string{"u_username", "gw3", "u_ip", "10.1.2.3", "u_password", "short"}},
		} {
			wantErr(t, v.as("root", "addserver", tc.kv...), tc.want)
		}
		if v.count("SELECT COUNT(*) FROM tb_users WHERE username = 'gw3'") != 0 {
			t.Fatal("a refused addserver added a row")
		}
	})
}

// cell renders a MapScan value for comparison.
func cell(v any) string { return engine.SQLText(v) }

// TestDelUserAndListUsers: listusers filters, orders and limits without
// showing passwords; deluser deletes by id or username, never the caller.
func TestDelUserAndListUsers(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		root := v.user("root", engine.TypeAdmin, 0)
		v.user("ann", engine.TypeEndUser, 1)
		bob := v.user("bob", engine.TypeEndUser, 2)
		v.user("sam", engine.TypeSrvAdmin, 0)
		res := v.as("root", "listusers")
		wantOK(t, res, "OK: 4 users")
		if strings.Contains(strings.Join(res.Columns, ","), "password") {
			t.Fatal("listusers shows passwords")
		}
		res = v.as("root", "listusers", "u_type", "0", "u_order", "-id")
		if got := strings.Join(column(t, res, "username"), ","); got != "bob,ann" {
			t.Fatalf("endusers newest first: %q", got)
		}
		res = v.as("root", "listusers", "u_maxcount", "1", "u_order", "username desc", "u_extended", "1")
		if got := strings.Join(column(t, res, "username"), ","); got != "sam" || len(column(t, res, "email")) != 1 {
			t.Fatalf("one, extended: %q %v", got, res.Columns)
		}
		wantErr(t, v.as("root", "listusers", "u_order", "password"), "bad u_order")
		wantErr(t, v.as("root", "listusers", "u_order", "id; DROP TABLE tb_users"), "bad u_order")
		wantErr(t, v.as("root", "listusers", "u_maxcount", "0"), "bad u_maxcount")

		wantOK(t, v.as("root", "deluser", "u_username", "ann"), "OK: user deleted: id=")
		wantErr(t, v.as("root", "deluser", "u_username", "ann"), "user not found")
		wantOK(t, v.as("root", "deluser", "u_id", strconv.FormatInt(bob, 10)), "OK: user deleted")
		wantErr(t, v.as("root", "deluser", "u_id", strconv.FormatInt(root, 10)), "cannot delete your own account")
		wantErr(t, v.as("root", "deluser", "u_username", "sam"), "only a srvadmin")
		wantErr(t, v.as("root", "deluser", "u_id", "1 OR 1=1"), "bad u_id")
		wantErr(t, v.as("root", "deluser"), "missing parameter")
		if v.count("SELECT COUNT(*) FROM tb_users") != 2 {
			t.Fatal("wrong users deleted")
		}
	})
}

// TestBannedList: bannedlist shows every row and which are in force;
// delbanned removes one address or all.
func TestBannedList(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v, _ := adminEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		now := time.Now().UTC()
		v.exec("INSERT INTO tb_bannedips (ip, reason, created) VALUES ('198.51.100.7', 'brute force', ?)", now)
		v.exec("INSERT INTO tb_bannedips (ip, reason, created, expires) VALUES ('198.51.100.0/24', 'old', ?, ?)", now.Add(-2*time.Hour), now.Add(-time.Hour))
		res := v.as("root", "bannedlist")
		wantOK(t, res, "OK: 2 banned, 1 active")
		if got := strings.Join(column(t, res, "active"), ","); got != "1,0" {
			t.Fatalf("active %q", got)
		}
		wantOK(t, v.as("root", "delbanned", "ip", "198.51.100.7"), "OK: 1 removed")
		wantErr(t, v.as("root", "delbanned", "ip", "198.51.100.7"), "not banned")
		wantErr(t, v.as("root", "delbanned", "ip", "x' OR 1=1 --"), "bad ip")
		wantErr(t, v.as("root", "delbanned"), "missing parameter: ip")
		wantOK(t, v.as("root", "delbanned", "all", "1"), "OK: 1 removed")
		wantOK(t, v.as("root", "bannedlist"), "OK: 0 banned, 0 active")
	})
}
