package actions

import (
	"mvapi/schema"
	"mvapi/schema/schematest"
	"testing"
)

// TestSQLServerStatements pins the T-SQL of every statement of the outbox (SQL Server
// cannot run here): the exact text sent with the SQLServer dialect, and
// no construct of another dialect in it.
func TestSQLServerStatements(t *testing.T) {
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"outboxInsert", outboxInsertSQL(d),
			`INSERT INTO tb_outbox (kind, idemkey, recipients, sender, subject, body, html, isunicode,
 entry, userid, params, onfailure, status, attempts, next_attempt, lease_until, worker, last_error, result, created)
 OUTPUT INSERTED.id VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, '', '', @p18)`},
		{"outboxDue", outboxDueSQL(d, 20),
			`SELECT TOP 20 id, kind FROM tb_outbox
 WHERE status = @p1 AND next_attempt <= @p2 AND (lease_until IS NULL OR lease_until < @p3)
 ORDER BY next_attempt, id`},
		{"outboxClaim", outboxClaimSQL(d),
			`UPDATE tb_outbox SET lease_until = @p1, worker = @p2, attempts = attempts + 1
 WHERE id = @p3 AND status = @p4 AND (lease_until IS NULL OR lease_until < @p5)`},
		{"outboxLoad", outboxLoadSQL(d),
			`SELECT id, kind, idemkey, recipients, sender, subject, body, html, isunicode, entry,
 userid, params, onfailure, status, attempts, last_error, result, worker FROM tb_outbox WHERE id = @p1`},
		{"outboxSent", outboxSentSQL(d),
			`UPDATE tb_outbox SET status = @p1, sent_at = @p2, lease_until = NULL, result = @p3, last_error = ''
 WHERE id = @p4 AND worker = @p5 AND status = @p6`},
		{"outboxRetry", outboxRetrySQL(d),
			`UPDATE tb_outbox SET lease_until = NULL, next_attempt = @p1, last_error = @p2
 WHERE id = @p3 AND worker = @p4 AND status = @p5`},
		{"outboxDead", outboxDeadSQL(d),
			`UPDATE tb_outbox SET status = @p1, lease_until = NULL, last_error = @p2
 WHERE id = @p3 AND worker = @p4 AND status = @p5`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: not T-SQL: %v\n%s", c.name, h, c.got)
		}
	}
}
