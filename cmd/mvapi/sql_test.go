package main

import (
	"mvapi/schema"
	"mvapi/schema/schematest"
	"testing"
)

// TestSQLServerStatements pins the T-SQL of the statements of the examples (SQL Server
// cannot run here): the exact text sent with the SQLServer dialect, and
// no construct of another dialect in it.
func TestSQLServerStatements(t *testing.T) {
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"exampleUser", exampleUserSQL(d),
			`SELECT TOP 1 username, password, currency FROM tb_users WHERE type = @p1 AND enabled <> 0 AND temporarydisabled = 0 ORDER BY id`},
		{"examplePrefix", examplePrefixSQL(d),
			`SELECT TOP 1 prefix FROM tb_rates ORDER BY LEN(prefix) DESC, prefix`},
		{"examplePIN", examplePINSQL(d),
			`SELECT TOP 1 pin FROM tb_pins WHERE usedby IS NULL AND enabled <> 0 AND (currency = @p1 OR currency = '') ORDER BY id`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: not T-SQL: %v\n%s", c.name, h, c.got)
		}
	}
}
