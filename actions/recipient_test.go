package actions_test

import (
	"strings"
	"testing"

	"mvapi/actions"
)

// Issue 10 item 18: a recipient that did not render was only logged while
// the request answered OK (entries whose customsql is a SELECT, and
// built-ins); the README says it fails the request. Now the answer is an
// ERROR that says why and nothing is queued.
func TestRecipientThatDoesNotRenderFailsTheRequest(t *testing.T) {
	eachDB(t, func(t *testing.T) {
		r := newRig(t, false, nil, actions.Deps{})
		r.row("page", "SELECT 'paged'", 1, "***TO={sparam1}\npaged")
		r.row("version", "", 2, "***TO={sparam1}\nversion asked") // a built-in with an SMS action

		got := r.serve("apientry", "page", "sparam1", "a@example.com, b@example.com")
		if !strings.HasPrefix(got, "ERROR: custom_action: email: ***TO: invalid message:") {
			t.Fatalf("SELECT entry: answer %q", got)
		}
		got = r.serve("apientry", "version", "sparam1", "not a number")
		if !strings.HasPrefix(got, "ERROR: custom_action: sms: ") {
			t.Fatalf("built-in: answer %q", got)
		}
		if n := r.count("SELECT COUNT(*) FROM tb_outbox"); n != 0 {
			t.Fatalf("%d messages queued by failed requests", n)
		}
		if got := r.serve("apientry", "page", "sparam1", "a@example.com"); got != "OK: paged" {
			t.Fatalf("good recipient: %q", got)
		}
		if n := r.count("SELECT COUNT(*) FROM tb_outbox"); n != 1 {
			t.Fatalf("%d messages queued, want 1", n)
		}
	})
}
