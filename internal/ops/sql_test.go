package ops

import (
	"testing"

	"mvapi/schema"
	"mvapi/schema/schematest"
)

// TestSQLServerStatements pins the T-SQL of the metrics and readiness
// queries (SQL Server cannot run here).
func TestSQLServerStatements(t *testing.T) {
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"outboxCounts", outboxCountsSQL(d), `SELECT status, COUNT(*), COALESCE(SUM(attempts), 0) FROM tb_outbox
 WHERE status IN ('pending', 'dead') GROUP BY status`},
		{"outboxOldest", outboxOldestSQL(d), `SELECT TOP 1 created FROM tb_outbox WHERE status = 'pending' ORDER BY created`},
		{"outboxStuck", outboxStuckSQL(d), `SELECT COUNT(*) FROM tb_outbox WHERE status = 'pending' AND next_attempt < @p1
 AND (lease_until IS NULL OR lease_until < @p2)`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: %v", c.name, h)
		}
	}
	if got := outboxOldestSQL(schema.Postgres); got != `SELECT created FROM tb_outbox WHERE status = 'pending' ORDER BY created LIMIT 1` {
		t.Errorf("postgres oldest: %s", got)
	}
}
