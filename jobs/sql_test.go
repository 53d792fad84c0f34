package jobs

import (
	"mvapi/schema"
	"mvapi/schema/schematest"
	"strings"
	"testing"
)

// TestSQLServerStatements pins the T-SQL of every statement of the scheduler and the
// maintenance jobs (SQL Server
// cannot run here): the exact text sent with the SQLServer dialect, and
// no construct of another dialect in it.
func TestSQLServerStatements(t *testing.T) {
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"purgeNonces", purgeNoncesSQL(d),
			`DELETE FROM tb_nonces WHERE expires < @p1`},
		{"releaseNumbers", releaseNumbersSQL(d),
			`UPDATE tb_phonenumbers SET userid = NULL, lockeduntil = NULL WHERE lockeduntil IS NOT NULL AND lockeduntil < @p1`},
		{"purgeJobRuns", purgeJobRunsSQL(d),
			`DELETE FROM tb_jobruns WHERE started < @p1 AND finished IS NOT NULL`},
		{"purgeRequests", purgeRequestsSQL(d, 1000),
			`DELETE FROM tb_requests WHERE datum < @p1 AND datum <= (SELECT MAX(datum) FROM (SELECT TOP 1000 datum FROM tb_requests WHERE datum < @p2 ORDER BY datum) oldest)`},
		{"purgeSent", purgeSentSQL(d),
			`DELETE FROM tb_outbox WHERE status = 'sent' AND created < @p1`},
		{"userEmails daily", userEmailsSQL(d, "senddailyemail", false),
			`SELECT id, username, email, credit, currency FROM tb_users WHERE enabled <> 0 AND email <> '' AND senddailyemail <> 0`},
		{"userEmails lowcredit", userEmailsSQL(d, "sendlowcreditemail", true),
			`SELECT id, username, email, credit, currency FROM tb_users WHERE enabled <> 0 AND email <> '' AND sendlowcreditemail <> 0 AND postpaid = 0 AND credit < @p1`},
		{"report", sqlReport(d),
			`SELECT COUNT(*) FROM tb_users WHERE created >= @p1; SELECT COUNT(*) FROM tb_creditlog WHERE datum >= @p1; SELECT COUNT(*) FROM tb_cdrs WHERE datum >= @p1; SELECT COUNT(*) FROM tb_jobruns WHERE started >= @p1 AND ok = 0; SELECT COUNT(*) FROM tb_outbox WHERE status = 'dead' AND created >= @p1`},
		{"creditMoved", creditMovedSQL(d),
			`SELECT COALESCE(SUM(amount), 0) FROM tb_creditlog WHERE datum >= @p1`},
		{"tasks", tasksSQL(d),
			`SELECT id, name, schedule, custom_action, custom_action_body FROM tb_scheduledtasks WHERE enabled <> 0 ORDER BY id`},
		{"taskNextRun", taskNextRunSQL(d),
			`UPDATE tb_scheduledtasks SET nextrun = @p1 WHERE id = @p2`},
		{"jobBusy", jobBusySQL(d),
			`SELECT COUNT(*) FROM tb_jobruns WHERE job = @p1 AND finished IS NULL AND started > @p2`},
		{"jobClaim", jobClaimSQL(d),
			`INSERT INTO tb_jobruns (job, tick, node, started) OUTPUT INSERTED.id VALUES (@p1, @p2, @p3, @p4)`},
		{"jobDone", jobDoneSQL(d),
			`UPDATE tb_jobruns SET finished = @p1, ok = @p2, result = @p3 WHERE id = @p4`},
		{"taskDone", taskDoneSQL(d),
			`UPDATE tb_scheduledtasks SET lastrun = @p1, lastresult = @p2 WHERE id = @p3`},
		{"nodeBeat", nodeBeatSQL(d),
			`UPDATE tb_nodes SET heartbeat = @p1 WHERE node = @p2`},
		{"nodeInsert", nodeInsertSQL(d),
			`INSERT INTO tb_nodes (node, heartbeat, started, version) VALUES (@p1, @p2, @p3, @p4)`},
		{"nodeForget", nodeForgetSQL(d),
			`DELETE FROM tb_nodes WHERE node = @p1`},
		{"nodesPurge", nodesPurgeSQL(d),
			`DELETE FROM tb_nodes WHERE heartbeat < @p1`},
		{"jobReclaim", jobReclaimSQL(d),
			`UPDATE tb_jobruns SET finished = @p1, ok = 0, result = @p2
 WHERE job = @p3 AND finished IS NULL AND started < @p4
 AND NOT EXISTS (SELECT 1 FROM tb_nodes WHERE tb_nodes.node = tb_jobruns.node AND tb_nodes.heartbeat >= @p5)`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: not T-SQL: %v\n%s", c.name, h, c.got)
		}
	}
}

func sqlReport(d schema.Dialect) string {
	var out []string
	for _, q := range reportQueries(d) {
		out = append(out, q.sql)
	}
	return strings.Join(out, "; ")
}
