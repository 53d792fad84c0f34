package jobs_test

import (
	"context"
	"strings"
	"testing"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/jobs"
)

// TestDailyEmailsSkipBadAddresses: a user's bad email address is skipped
// and the other users still get their low-credit and daily emails.
func TestDailyEmailsSkipBadAddresses(t *testing.T) {
	db := mvtest.MustDB(t)
	e, _ := mvtest.MustEngineActions(t, db, map[string]string{
		"smtphost": "127.0.0.1", "smtpport": "1", "smtpfrom": "mvapi@example.com", "lowcreditlimit": "5",
	}, actions.Deps{})
	for _, u := range []struct{ name, email string }{{"amy", "amy@example.com"}, {"bad", "not an email"}, {"cid", "cid@example.com"}} {
		id := mvtest.MustUser(t, db, engine.NewUser{Username: u.name, Credit: 1})
		mvtest.MustExec(t, db, "UPDATE tb_users SET email = ?, sendlowcreditemail = 1, senddailyemail = 1 WHERE id = ?", u.email, id)
	}
	s, err := jobs.New(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.RunJob(context.Background(), "daily")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "lowcredit: 2 emails queued, 1 skipped") || !strings.Contains(out, "daily: 2 emails queued, 1 skipped") {
		t.Fatalf("daily answered %q", out)
	}
	var queued int
	db.Get(&queued, "SELECT COUNT(*) FROM tb_outbox")
	if queued != 4 {
		t.Fatalf("%d messages in the outbox, want 4", queued)
	}
}
