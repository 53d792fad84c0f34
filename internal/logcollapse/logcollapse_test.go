package logcollapse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when told; AfterFunc timers fire in Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	f  func()
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), f})
}

// Advance moves the clock by d, firing due timers at their times, in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		if len(c.timers) == 0 || c.timers[0].at.After(end) {
			c.now = end
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		c.now = t.at
		c.mu.Unlock()
		t.f()
	}
}

// lines is what reached the wrapped text handler.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.Write(p) }

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimRight(l.buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func newLogger(clock Clock) (*slog.Logger, *lines) {
	out := &lines{}
	h := slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(New(h, &Options{Clock: clock})), out
}

// repeated sums the repeated=N of the summary lines.
func repeated(ls []string) (summaries, n int) {
	for _, l := range ls {
		if i := strings.Index(l, " repeated="); i >= 0 {
			var k int
			fmt.Sscanf(l[i+len(" repeated="):], "%d", &k)
			summaries++
			n += k
		}
	}
	return
}

// TestFloodCollapsed: 100,000 identical errors in a minute (a database
// outage under load) give fewer than 100 lines, and the summaries account
// for every record held back.
func TestFloodCollapsed(t *testing.T) {
	clock := newFakeClock()
	log, out := newLogger(clock)
	const n = 100000
	step := time.Minute / n
	err := errors.New("failed to connect to `host=127.0.0.1 user=postgres`: dial error (connection refused)")
	for i := range n {
		log.Error("request failed", "entry", "balance", "err", err, "ip", fmt.Sprintf("10.0.%d.%d", i/250%250, i%250), "user", i)
		clock.Advance(step)
	}
	clock.Advance(time.Minute) // the last window ends
	ls := out.all()
	summaries, held := repeated(ls)
	t.Logf("%d records in a minute: %d lines (%d summaries); first %q; a summary %q", n, len(ls), summaries, ls[0], ls[1])
	if len(ls) >= 100 {
		t.Fatalf("%d lines for %d identical errors", len(ls), n)
	}
	if passed := len(ls) - summaries; passed+held != n {
		t.Fatalf("%d passed + %d counted in summaries, want %d", passed, held, n)
	}
	if !strings.Contains(ls[0], "ip=10.0.0.0") || !strings.Contains(ls[1], "more in the last 10 s") || !strings.Contains(ls[1], "entry=balance") {
		t.Fatalf("lines %q", ls[:2])
	}
}

// TestDistinctPass: records that differ in message, level or a key
// attribute are kinds of their own; each first one passes.
func TestDistinctPass(t *testing.T) {
	clock := newFakeClock()
	log, out := newLogger(clock)
	for i := range 50 {
		log.Error("request failed", "entry", "balance", "err", fmt.Sprintf("error %d", i))
	}
	log.Error("request failed", "entry", "rates", "err", "error 0")
	log.Warn("request failed", "entry", "balance", "err", "error 0")
	log.Error("another message", "entry", "balance", "err", "error 0")
	log.With("entry", "credit").Error("request failed", "err", "error 0")
	if got := len(out.all()); got != 54 {
		t.Fatalf("%d lines for 54 distinct records:\n%s", got, strings.Join(out.all(), "\n"))
	}
	// A repeat of an attribute added with With is a repeat.
	log.With("entry", "credit").Error("request failed", "err", "error 0")
	if got := len(out.all()); got != 54 {
		t.Fatalf("%d lines: a repeat passed", got)
	}
}

// TestInfoNotCollapsed: INFO and DEBUG lines all pass.
func TestInfoNotCollapsed(t *testing.T) {
	clock := newFakeClock()
	log, out := newLogger(clock)
	for range 1000 {
		log.Info("job still running, tick skipped", "job", "x")
		log.Debug("debug", "job", "x")
	}
	if got := len(out.all()); got != 2000 {
		t.Fatalf("%d lines, want 2000", got)
	}
}

// TestQuietKindStartsAfresh: after a window without repeats the next
// record passes in full; repeats within a window give one summary at its
// end, even when nothing follows.
func TestQuietKindStartsAfresh(t *testing.T) {
	clock := newFakeClock()
	log, out := newLogger(clock)
	logErr := func() { log.Error("outbox: attempt failed, will retry", "err", "smtp down", "in", "30s") }
	logErr()
	clock.Advance(11 * time.Second)
	logErr()
	if got := len(out.all()); got != 2 {
		t.Fatalf("%d lines: a record after a quiet window was held back", got)
	}
	logErr()
	logErr()
	logErr()
	if got := len(out.all()); got != 2 {
		t.Fatalf("%d lines before the window ended", got)
	}
	clock.Advance(10 * time.Second)
	ls := out.all()
	if len(ls) != 3 || !strings.Contains(ls[2], "(3 more in the last 10 s)") || !strings.Contains(ls[2], "level=ERROR") {
		t.Fatalf("lines:\n%s", strings.Join(ls, "\n"))
	}
	clock.Advance(time.Hour)
	if got := len(out.all()); got != 3 {
		t.Fatalf("%d lines: a summary without repeats", got)
	}
	logErr()
	if got := len(out.all()); got != 4 {
		t.Fatalf("%d lines after an hour of quiet", got)
	}
}

// TestConcurrent: many goroutines logging the same error lose no count.
func TestConcurrent(t *testing.T) {
	clock := newFakeClock()
	log, out := newLogger(clock)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				log.ErrorContext(context.Background(), "request failed", "entry", "balance", "err", "db down")
			}
		}()
	}
	wg.Wait()
	clock.Advance(time.Minute)
	ls := out.all()
	summaries, held := repeated(ls)
	if len(ls) != 2 || summaries != 1 || held != 7999 {
		t.Fatalf("%d lines, %d summaries, %d held:\n%s", len(ls), summaries, held, strings.Join(ls, "\n"))
	}
}

// TestManyKindsBounded: beyond MaxKinds new kinds pass uncollapsed rather
// than growing memory.
func TestManyKindsBounded(t *testing.T) {
	clock := newFakeClock()
	out := &lines{}
	log := slog.New(New(slog.NewTextHandler(out, nil), &Options{Clock: clock, MaxKinds: 10}))
	for i := range 20 {
		log.Error("e", "err", i)
		log.Error("e", "err", i)
	}
	h := log.Handler().(*Handler)
	if len(h.st.kinds) > 10 {
		t.Fatalf("%d kinds remembered", len(h.st.kinds))
	}
	if got := len(out.all()); got != 30 { // 10 collapsed kinds once, 10 untracked twice
		t.Fatalf("%d lines", got)
	}
}
