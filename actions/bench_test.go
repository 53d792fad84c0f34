package actions_test

import (
	"testing"
	"time"

	"mvapi/actions"
)

// BenchmarkServeWithEmailAction is a request whose success action writes
// an email to the outbox before the answer (the cost of durability); the
// workers deliver to a loopback SMTP server meanwhile.
func BenchmarkServeWithEmailAction(b *testing.B) {
	r := newRig(b, true, nil, actions.Deps{})
	r.row("plain", "SELECT 1", 0, "")
	r.row("mailme", "SELECT 1", 1, "***SUBJECT=bench\n{txt}")
	for _, entry := range []string{"plain", "mailme"} {
		b.Run(entry, func(b *testing.B) {
			for b.Loop() {
				if got := r.serve("apientry", entry, "txt", "x"); got != "OK: 1" {
					b.Fatal(got)
				}
			}
		})
	}
}

// BenchmarkDeliveryLatency is the time from a request with an email action
// to the message at the SMTP server (default outboxpollms: a worker is
// woken at enqueue, not polled).
func BenchmarkDeliveryLatency(b *testing.B) {
	r := newRig(b, true, map[string]string{"outboxpollms": "1000"}, actions.Deps{})
	r.row("mailme", "SELECT 1", 1, "x")
	for i := 0; b.Loop(); i++ {
		r.serve("apientry", "mailme")
		for deadline := time.Now().Add(5 * time.Second); len(r.smtp.Mails()) <= i; {
			if time.Now().After(deadline) {
				b.Fatal("not delivered")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
}
