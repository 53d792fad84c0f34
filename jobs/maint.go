package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mvapi/engine"

	"mvapi/schema"
)

// builtinJob is a maintenance job of the server.
type builtinJob struct {
	name, spec string
	run        func(ctx context.Context, s *Scheduler) (string, error)
}

// builtinJobs run on fixed schedules (UTC) and on request through the
// hourlymaint, dailymaint, weeklymaint, monthlymaint and dailyreport entries.
var builtinJobs = []builtinJob{
	{"hourly", "@hourly", hourly},
	{"daily", "30 0 * * *", daily},
	{"weekly", "45 0 * * 1", func(ctx context.Context, s *Scheduler) (string, error) { return s.userEmails(ctx, "weekly", "") }},
	{"monthly", "0 1 1 * *", monthly}, // audit.go
	{"dailyreport", "0 6 * * *", dailyReport},
}

// hourly purges expired nonces, expired phone number reservations and
// request ids past reqiddays (purgeRequests).
func hourly(ctx context.Context, s *Scheduler) (string, error) {
	now := time.Now().UTC()
	n1, err := s.exec(ctx, purgeNoncesSQL(s.db.Dialect), now)
	if err != nil {
		return "", err
	}
	n2, err := s.exec(ctx, releaseNumbersSQL(s.db.Dialect), now)
	if err != nil {
		return "", err
	}
	reqs, err := purgeRequests(ctx, s, now)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("OK: hourly maintenance: %d expired nonces, %d expired number reservations removed, %s", n1, n2, reqs), nil
}

// daily purges old job runs and delivered outbox rows (logretentiondays),
// then mails low-credit and daily notices to users who asked for them.
func daily(ctx context.Context, s *Scheduler) (string, error) {
	cutoff := time.Now().UTC().AddDate(0, 0, -max(s.eng.Config().Int("logretentiondays"), 1))
	runs, err := s.exec(ctx, purgeJobRunsSQL(s.db.Dialect), cutoff)
	if err != nil {
		return "", err
	}
	sent, err := s.exec(ctx, purgeSentSQL(s.db.Dialect), cutoff)
	if err != nil {
		return "", err
	}
	low, err := s.userEmails(ctx, "lowcredit", "sendlowcreditemail")
	if err != nil {
		return "", err
	}
	dailyMails, err := s.userEmails(ctx, "daily", "senddailyemail")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("OK: daily maintenance: %d old job runs, %d delivered messages removed; %s; %s", runs, sent, low, dailyMails), nil
}

// userEmails queues a notice to every enabled user with an email address
// whose flag column is set (low credit: only below lowcreditlimit).
func (s *Scheduler) userEmails(ctx context.Context, kind, flag string) (string, error) {
	if flag == "" {
		return "OK: " + kind + ": nothing to do", nil
	}
	m := s.eng.Messenger()
	d := s.db.Dialect
	q := userEmailsSQL(d, flag, kind == "lowcredit")
	args := []any{}
	if kind == "lowcredit" {
		args = append(args, s.eng.Config().Float("lowcreditlimit"))
	}
	var users []struct {
		ID       int64   `db:"id"`
		Username string  `db:"username"`
		Email    string  `db:"email"`
		Credit   float64 `db:"credit"`
		Currency string  `db:"currency"`
	}
	if err := s.db.SelectContext(ctx, &users, q, args...); err != nil {
		return "", fmt.Errorf("%s emails: %w", kind, err)
	}
	if len(users) > 0 && m == nil {
		return "", fmt.Errorf("%s emails: %d users to notify but no outbox (configure smtphost)", kind, len(users))
	}
	subjects := map[string]string{"lowcredit": "Your credit is low", "daily": "Your daily summary", "monthly": "Your monthly summary"}
	skipped := 0
	for _, u := range users {
		body := fmt.Sprintf("Dear %s,\n\nyour credit is %.4g %s.\n", u.Username, u.Credit, u.Currency)
		c := &engine.Call{Engine: s.eng, Entry: &engine.Entry{Name: "job:" + kind}, Req: &engine.Request{Params: engine.Params{}, Transport: "scheduler"}, Config: s.eng.Config(), Admin: true}
		if _, err := m.Enqueue(ctx, c, engine.Message{Kind: "email", To: []string{u.Email}, Subject: subjects[kind], Body: body}); err != nil {
			if errors.Is(err, engine.ErrInvalidMessage) { // one bad address must not stop the others
				s.log.Warn("scheduled email skipped", "kind", kind, "userid", u.ID, "err", err)
				skipped++
				continue
			}
			return "", fmt.Errorf("%s email to user %d: %w", kind, u.ID, err)
		}
	}
	return fmt.Sprintf("%s: %d emails queued, %d skipped (bad address)", kind, len(users)-skipped, skipped), nil
}

// dailyReport mails adminemail the last 24 hours: new users, credit
// movements, calls, job failures and outbox dead letters.
func dailyReport(ctx context.Context, s *Scheduler) (string, error) {
	since := time.Now().UTC().Add(-24 * time.Hour)
	var lines []string
	for _, q := range reportQueries(s.db.Dialect) {
		var n int64
		if err := s.db.GetContext(ctx, &n, q.sql, since); err != nil {
			return "", fmt.Errorf("daily report: %s: %w", q.label, err)
		}
		lines = append(lines, fmt.Sprintf("%s: %d", q.label, n))
	}
	var credit float64
	if err := s.db.GetContext(ctx, &credit, creditMovedSQL(s.db.Dialect), since); err != nil {
		return "", fmt.Errorf("daily report: credit: %w", err)
	}
	lines = append(lines, fmt.Sprintf("credit moved: %.4f", credit))
	stats, unknown := s.eng.RequestStats()
	for _, st := range stats {
		lines = append(lines, fmt.Sprintf("requests %s: %d ok, %d failed (since this node started)", st.Entry, st.OK, st.Failed))
	}
	lines = append(lines, fmt.Sprintf("requests for unknown entries: %d", unknown))
	report := strings.Join(lines, "\n")
	to := s.eng.Config().Get("adminemail")
	if to == "" {
		return "OK: daily report (no adminemail set, not mailed): " + strings.ReplaceAll(report, "\n", "; "), nil
	}
	m := s.eng.Messenger()
	if m == nil {
		return "", fmt.Errorf("daily report: no outbox to mail %s (configure smtphost)", to)
	}
	c := &engine.Call{Engine: s.eng, Entry: &engine.Entry{Name: "job:dailyreport"}, Req: &engine.Request{Params: engine.Params{}, Transport: "scheduler"}, Config: s.eng.Config(), Admin: true}
	if _, err := m.Enqueue(ctx, c, engine.Message{Kind: "email", To: []string{to}, Subject: "mvapi daily report", Body: report}); err != nil {
		return "", fmt.Errorf("daily report: %w", err)
	}
	return "OK: daily report queued to " + to, nil
}

func (s *Scheduler) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

var purgeNoncesSQL = schema.Statement("DELETE FROM tb_nonces WHERE expires < ?")

var releaseNumbersSQL = schema.Statement("UPDATE tb_phonenumbers SET userid = NULL, lockeduntil = NULL WHERE lockeduntil IS NOT NULL AND lockeduntil < ?")

var purgeJobRunsSQL = schema.Statement("DELETE FROM tb_jobruns WHERE started < ? AND finished IS NOT NULL")

var purgeSentSQL = schema.Statement("DELETE FROM tb_outbox WHERE status = 'sent' AND created < ?")

// userEmailsSQL selects the users to notify: flag is a fixed tb_users
// column; lowCredit adds the credit limit (?).
func userEmailsSQL(d schema.Dialect, flag string, lowCredit bool) string {
	q := "SELECT id, username, email, credit, currency FROM tb_users WHERE enabled <> 0 AND email <> '' AND " + flag + " <> 0"
	if lowCredit {
		q += " AND postpaid = 0 AND credit < ?"
	}
	return d.Rebind(q)
}

// reportQueries are the counts of the daily report, each since ?.
func reportQueries(d schema.Dialect) []struct{ label, sql string } {
	return []struct{ label, sql string }{
		{"new users", d.Rebind("SELECT COUNT(*) FROM tb_users WHERE created >= ?")},
		{"credit movements", d.Rebind("SELECT COUNT(*) FROM tb_creditlog WHERE datum >= ?")},
		{"calls", d.Rebind("SELECT COUNT(*) FROM tb_cdrs WHERE datum >= ?")},
		{"failed job runs", d.Rebind("SELECT COUNT(*) FROM tb_jobruns WHERE started >= ? AND ok = 0")},
		{"undeliverable messages", d.Rebind("SELECT COUNT(*) FROM tb_outbox WHERE status = 'dead' AND created >= ?")},
	}
}

var creditMovedSQL = schema.Statement("SELECT COALESCE(SUM(amount), 0) FROM tb_creditlog WHERE datum >= ?")
