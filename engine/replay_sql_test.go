package engine

import (
	"mvapi/schema"
	"mvapi/schema/schematest"
	"testing"
)

// TestSQLServerReplayStatements pins the T-SQL of the replay protection's
// statements (tb_authseen, single-use nonces); SQL Server cannot run here.
func TestSQLServerReplayStatements(t *testing.T) {
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"authSeenInsert", authSeenInsertSQL(d), `INSERT INTO tb_authseen (userid, digest, expires) VALUES (@p1, @p2, @p3)`},
		{"authSeenRenew", authSeenRenewSQL(d), `UPDATE tb_authseen SET expires = @p1 WHERE userid = @p2 AND digest = @p3 AND expires <= @p4`},
		{"authSeenPurge", authSeenPurgeSQL(d), `DELETE FROM tb_authseen WHERE expires < @p1`},
		{"nonceSpend", nonceSpendSQL(d), `DELETE FROM tb_nonces WHERE nonce = @p1`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: not T-SQL: %v\n%s", c.name, h, c.got)
		}
	}
}
