package engine

import (
	"testing"
	"time"
)

// TestLagClock: the lag is the time since the primary was first seen at a
// position the replica has not replayed; a replica that replays
// everything seen is not behind, whatever the primary does next; an idle
// primary never makes a stopped replica look behind.
func TestLagClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	type step struct {
		primary  int64 // the primary's position, seen at the step's time; -1: the primary did not answer
		replayed int64 // the replica's replayed position, read just after
		want     time.Duration
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"in sync", []step{{100, 100, 0}, {200, 200, 0}, {300, 300, 0}}},
		{"a few ms behind each check", []step{{100, 90, 0}, {200, 150, 0}, {300, 250, 0}}},
		{"replay stops under writes", []step{{100, 100, 0}, {200, 100, 0}, {300, 100, time.Second}, {400, 100, 2 * time.Second}, {500, 100, 3 * time.Second}}},
		{"catches up", []step{{100, 100, 0}, {200, 100, 0}, {300, 100, time.Second}, {400, 250, time.Second}, {500, 500, 0}}},
		{"catches up part way", []step{{100, 100, 0}, {200, 100, 0}, {300, 100, time.Second}, {400, 100, 2 * time.Second}, {500, 350, time.Second}}},
		{"idle primary, stopped replica", []step{{100, 100, 0}, {100, 100, 0}, {100, 100, 0}}},
		{"WAL stops arriving, primary idle afterwards", []step{{100, 100, 0}, {150, 100, 0}, {150, 100, time.Second}, {150, 100, 2 * time.Second}}},
		{"primary unreachable: known positions age", []step{{100, 100, 0}, {200, 100, 0}, {-1, 100, time.Second}, {-1, 100, 2 * time.Second}, {-1, 200, 0}}},
		{"replica ahead (promoted, or WAL switch)", []step{{100, 100, 0}, {200, 4000, 0}, {300, 4000, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l lagClock
			for i, s := range tc.steps {
				now := at(float64(i))
				if s.primary >= 0 {
					l.primaryAt(s.primary, now)
				}
				if got := l.replayed(s.replayed, now); got != s.want {
					t.Fatalf("step %d (primary %d, replayed %d): lag %v, want %v", i, s.primary, s.replayed, got, s.want)
				}
			}
		})
	}
}

// TestLagClockBounded: a replica that stays behind keeps at most
// maxWALSeen positions, and the oldest, which sets its lag.
func TestLagClockBounded(t *testing.T) {
	var l lagClock
	t0 := time.Now()
	for i := range 2 * maxWALSeen {
		now := t0.Add(time.Duration(i) * time.Second)
		l.primaryAt(int64(100+i), now)
		if got, want := l.replayed(99, now), time.Duration(i)*time.Second; got != want {
			t.Fatalf("check %d: lag %v, want %v", i, got, want)
		}
	}
	if len(l.seen) > maxWALSeen {
		t.Fatalf("%d positions kept, want at most %d", len(l.seen), maxWALSeen)
	}
}
