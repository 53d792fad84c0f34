package actions_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/actions/actionstest"
	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestDeadLetterFiresFailureAction: a message the gateway refuses becomes a
// dead letter after one attempt and the failure action (58, SQL) of the
// entry that sent it runs with {error} and the saved request parameters.
func TestDeadLetterFiresFailureAction(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, true, nil, actions.Deps{})
		r.gw.Respond = func(actionstest.SMS) (int, string) { return http.StatusBadRequest, "unknown destination" }
		r.row("alert", "SELECT 1", 58, "INSERT INTO tb_cdrs (caller, called) VALUES ({memo}, {error})")
		c := r.call("alert", "memo", "from-request", "authpwd", "never-stored")
		if _, err := r.a.Enqueue(context.Background(), c, engine.Message{Kind: "sms", To: []string{"5551234"}, Body: "x"}); err != nil {
			t.Fatal(err)
		}
		row := r.waitSettled(1)[0]
		if row.Status != "dead" || row.Attempts != 1 || !strings.Contains(row.LastError, "HTTP 400: unknown destination") {
			t.Fatalf("%+v", row)
		}
		if n := r.count("SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'from-request' AND called LIKE '%unknown destination%'"); n != 1 {
			t.Fatalf("failure action rows: %d", n)
		}
		if r.count("SELECT COUNT(*) FROM tb_outbox WHERE params LIKE '%never-stored%'") != 0 {
			t.Fatal("a credential was stored in the outbox")
		}
	})
}

// TestRetriesUntilMaxAttempts: a gateway that keeps failing is tried
// outboxmaxattempts times, then the failure action fires once.
func TestRetriesUntilMaxAttempts(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, true, map[string]string{"outboxmaxattempts": "3"}, actions.Deps{})
		r.gw.Respond = func(actionstest.SMS) (int, string) { return http.StatusServiceUnavailable, "busy" }
		r.row("alert", "SELECT 1", 58, "INSERT INTO tb_cdrs (caller) VALUES ('dead')")
		r.a.Enqueue(context.Background(), r.call("alert"), engine.Message{Kind: "sms", To: []string{"5551234"}, Body: "x"})
		row := r.waitSettled(1)[0]
		if row.Status != "dead" || row.Attempts != 3 || len(r.gw.Requests()) != 3 {
			t.Fatalf("%+v after %d requests", row, len(r.gw.Requests()))
		}
		time.Sleep(100 * time.Millisecond)
		if n := r.count("SELECT COUNT(*) FROM tb_cdrs WHERE caller = 'dead'"); n != 1 {
			t.Fatalf("failure action ran %d times", n)
		}
	})
}

// TestFailureMessageDoesNotLoop: the failure action's own message (52) that
// dies fires nothing more.
func TestFailureMessageDoesNotLoop(t *testing.T) {
	r := newRig(t, true, map[string]string{"outboxmaxattempts": "1"}, actions.Deps{})
	r.gw.Respond = func(actionstest.SMS) (int, string) { return http.StatusBadRequest, "no" }
	r.row("alert", "SELECT 1", 52, "***TO=5559999\nfailed: {error}")
	r.a.Enqueue(context.Background(), r.call("alert"), engine.Message{Kind: "sms", To: []string{"5551234"}, Body: "x"})
	rows := r.waitSettled(2)
	time.Sleep(150 * time.Millisecond)
	rows = r.waitSettled(2)
	if len(rows) != 2 || rows[0].OnFailure != 1 || rows[1].OnFailure != 0 || rows[1].Status != "dead" || rows[1].To != "5559999" {
		t.Fatalf("%+v", rows)
	}
}

// TestTwoNodesNeverSendTwice: two nodes with their own workers share one
// outbox; every message is delivered exactly once.
func TestTwoNodesNeverSendTwice(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, true, map[string]string{"outboxworkers": "3"}, actions.Deps{Node: "node-a"})
		_, other := mvtest.MustEngineActions(t, r.db, map[string]string{
			"smtphost": "127.0.0.1", "smtpport": r.smtp.Port, "smtptls": "none", "smtpfrom": "mvapi@example.com",
			"outboxworkers": "3", "outboxpollms": "5",
		}, actions.Deps{Node: "node-b"})
		_ = other
		const n = 60
		c := r.call("apitest")
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := engine.Message{Kind: "email", To: []string{"a@example.com"}, Subject: fmt.Sprint(i), Body: "x"}
				if _, err := r.a.Enqueue(context.Background(), c, m); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		r.smtp.WaitMails(t, n, 10*time.Second)
		time.Sleep(100 * time.Millisecond)
		if got := len(r.smtp.Mails()); got != n || r.smtp.Duplicates() != 0 {
			t.Fatalf("%d mails, %d duplicates", got, r.smtp.Duplicates())
		}
		var nodes []string
		r.db.Select(&nodes, "SELECT DISTINCT worker FROM tb_outbox ORDER BY worker")
		t.Logf("delivered by %v", nodes)
	})
}

// TestExpiredLeaseIsTakenOver: a message leased by a node that died is
// delivered once its lease expires, not before.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, true, nil, actions.Deps{})
		past, future := time.Now().UTC().Add(-time.Minute), time.Now().UTC().Add(time.Hour)
		for i, lease := range []time.Time{past, future} {
			mvtest.MustExec(t, r.db, `INSERT INTO tb_outbox (kind, idemkey, recipients, subject, status, attempts, next_attempt,
				lease_until, worker, created) VALUES ('email', ?, 'a@example.com', ?, 'pending', 1, ?, ?, 'crashed-node', ?)`,
				fmt.Sprint("k", i), fmt.Sprint(i), past, lease, past)
		}
		r.a.RunOnce(context.Background())
		r.smtp.WaitMails(t, 1, 5*time.Second)
		// The engine's own worker may have claimed the row before
		// RunOnce: it records the delivery after the mail arrived.
		rows := r.waitRow(0, func(row outboxRow) bool { return row.Status != "pending" })
		if rows[0].Status != "sent" || rows[0].Attempts != 2 || rows[1].Status != "pending" || rows[1].Attempts != 1 {
			t.Fatalf("%+v", rows)
		}
	})
}
