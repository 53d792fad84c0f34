package engine

import (
	"mvapi/schema"
	"mvapi/schema/schematest"
	"testing"
)

// TestSQLServerStatements pins the T-SQL of every statement the engine builds (users, nonces,
// tb_api, global config, lockout, change stamps) (SQL Server
// cannot run here): the exact text sent with the SQLServer dialect, and
// no construct of another dialect in it.
func TestSQLServerStatements(t *testing.T) {
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"user by name", userQuery(d, "username = ?"),
			`SELECT id, type, username, password, name, email, phone, currency, country, address,
 credit, postpaid, enabled, temporarydisabled, status, statusdate, ip, COALESCE(pin, ''), parentid FROM tb_users WHERE username = @p1`},
		{"user by id", userQuery(d, "id = ?"),
			`SELECT id, type, username, password, name, email, phone, currency, country, address,
 credit, postpaid, enabled, temporarydisabled, status, statusdate, ip, COALESCE(pin, ''), parentid FROM tb_users WHERE id = @p1`},
		{"user by pin", userQuery(d, "pin = ? AND pin <> ''"),
			`SELECT id, type, username, password, name, email, phone, currency, country, address,
 credit, postpaid, enabled, temporarydisabled, status, statusdate, ip, COALESCE(pin, ''), parentid FROM tb_users WHERE pin = @p1 AND pin <> ''`},
		{"lean user by name", leanQuery(d, "username = ?"),
			`SELECT id AS a, type AS b, username AS c, password AS d, COALESCE(pin, '') AS e, enabled AS f,
 temporarydisabled AS g, credit AS h, postpaid AS i, currency AS j FROM tb_users WHERE username = @p1`},
		{"rest of a user", restQuery(d),
			`SELECT name, email, phone, country, address, status, statusdate, ip, parentid FROM tb_users WHERE id = @p1`},
		{"nonceInsert", nonceInsert(d),
			`INSERT INTO tb_nonces (nonce, prefix, ip, created, expires) VALUES (@p1, @p2, @p3, @p4, @p5)`},
		{"nonceFind", nonceFind(d),
			`SELECT nonce, ip FROM tb_nonces WHERE prefix = @p1 AND expires > @p2`},
		{"apiRows", apiRowQuery(d),
			`SELECT id, fname, req_key, req_ip, req_user, req_user_mode, req_user_credit,
 req_user_register, req_user_login, customsql, custom_action, custom_action_body, enabled, [rule], description, readonly FROM tb_api ORDER BY id`},
		{"createUser", createUserSQL(d),
			`INSERT INTO tb_users
 (type, username, password, name, email, phone, currency, country, address, credit, deviceid, pin)
 OUTPUT INSERTED.id VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12)`},
		{"globalConfig", globalConfigSQL(d),
			`SELECT name, value FROM tb_globalconfig`},
		{"failureCount", failureCountSQL(d),
			`UPDATE tb_authfailures SET
 failures = CASE WHEN first < @p1 THEN 1 ELSE failures + 1 END,
 first = CASE WHEN first < @p2 THEN @p3 ELSE first END WHERE ip = @p4`},
		{"failureInsert", failureInsertSQL(d),
			`INSERT INTO tb_authfailures (ip, failures, first) VALUES (@p1, 1, @p2)`},
		{"failureAdd", failureAddSQL(d),
			`UPDATE tb_authfailures SET failures = failures + 1 WHERE ip = @p1`},
		{"lockIP", lockIPSQL(d),
			`UPDATE tb_authfailures SET locked_until = @p1, failures = 0, first = @p2 WHERE ip = @p3 AND failures >= @p4`},
		{"lockedIPs", lockedIPsSQL(d),
			`SELECT ip, locked_until FROM tb_authfailures WHERE locked_until > @p1`},
		{"bannedIPs", bannedIPsSQL(d),
			`SELECT ip FROM tb_bannedips WHERE expires IS NULL OR expires > @p1`},
		{"stampBump", stampBumpSQL(d),
			`UPDATE tb_changes SET stamp = stamp + 1 WHERE name = @p1`},
		{"stamp", stampSQL(d),
			`SELECT stamp FROM tb_changes WHERE name = @p1`},
		{"stamps", stampsSQL(d),
			`SELECT name, stamp FROM tb_changes`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: not T-SQL: %v\n%s", c.name, h, c.got)
		}
	}
}
