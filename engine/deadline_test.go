package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"mvapi/internal/logging"
)

// The request's context names the request for the log with or without
// requesttimeout; without it, deadline and cancellation are the parent's
// and stop cancels nothing; with it, the deadline is the sooner of the
// timeout and the parent's, and stop cancels like context.WithTimeout.
func TestReqCtx(t *testing.T) {
	parentDL := time.Now().Add(time.Hour)
	for _, c := range []struct {
		name         string
		parentDL     bool
		timeout      time.Duration
		wantDeadline bool
		errAfterStop error
	}{
		{"no timeout, no parent deadline", false, 0, false, nil},
		{"no timeout, parent deadline", true, 0, true, nil},
		{"timeout", false, time.Minute, true, context.Canceled},
		{"timeout after the parent's deadline", true, 2 * time.Hour, true, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent, cancel := context.Background(), context.CancelFunc(func() {})
			if c.parentDL {
				parent, cancel = context.WithDeadline(parent, parentDL)
			}
			defer cancel()
			id := "abc-1"
			var rc reqCtx
			rc.init(parent, &id, c.timeout)
			if got := logging.RequestID(&rc); got != id {
				t.Errorf("RequestID = %q, want %q", got, id)
			}
			dl, ok := rc.Deadline()
			if ok != c.wantDeadline {
				t.Fatalf("Deadline ok = %v, want %v", ok, c.wantDeadline)
			}
			if c.parentDL && !dl.Equal(parentDL) && c.timeout > time.Hour {
				t.Errorf("Deadline %v, want the parent's %v", dl, parentDL)
			}
			if err := rc.Err(); err != nil {
				t.Errorf("Err before stop = %v", err)
			}
			derived, dcancel := context.WithCancel(&rc)
			defer dcancel()
			if got := logging.RequestID(derived); got != id {
				t.Errorf("RequestID of a derived context = %q, want %q", got, id)
			}
			rc.stop()
			if err := rc.Err(); !errors.Is(err, c.errAfterStop) || (err == nil) != (c.errAfterStop == nil) {
				t.Errorf("Err after stop = %v, want %v", err, c.errAfterStop)
			}
			if c.errAfterStop != nil {
				select {
				case <-derived.Done():
				case <-time.After(10 * time.Second):
					t.Error("a derived context is not cancelled by stop")
				}
			}
		})
	}
}
