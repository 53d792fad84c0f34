package jobs

import (
	"context"
	"fmt"
	"time"

	"mvapi/schema"
)

// monthly removes audit rows older than auditdays (0 keeps them), then
// mails the monthly notices to users who asked for them.
func monthly(ctx context.Context, s *Scheduler) (string, error) {
	purged := "audit rows kept (auditdays=0)"
	if days := s.eng.Config().Int("auditdays"); days > 0 {
		n, err := s.exec(ctx, purgeAuditSQL(s.db.Dialect), time.Now().UTC().AddDate(0, 0, -days))
		if err != nil {
			return "", err
		}
		purged = fmt.Sprintf("%d audit rows older than %d days removed", n, days)
	}
	mails, err := s.userEmails(ctx, "monthly", "sendmonthlyemail")
	if err != nil {
		return "", err
	}
	return "OK: monthly maintenance: " + purged + "; " + mails, nil
}

var purgeAuditSQL = schema.Statement("DELETE FROM tb_auditlog WHERE datum < ?")
