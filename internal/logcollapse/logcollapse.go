// Package logcollapse keeps a flood of identical log lines from filling a
// disk: during a database outage under load every failed request logs the
// same ERROR, hundreds of thousands of lines a minute. Handler wraps a
// slog.Handler and passes the first record of a kind (level at least WARN,
// same message, same values of the key attributes such as entry and err),
// then holds back the repeats and, at the end of each window (10 s), writes
// one line "MESSAGE (N more in the last 10 s)" with the key attributes and
// repeated=N. A kind that stays quiet for a whole window starts afresh: its
// next record passes in full. Records below WARN are never collapsed.
//
// No library does this for log/slog with a summary line (samplers such as
// slog-sampling drop records without counting them in the log), so it is
// written here; it is small and fully tested with a fake clock.
package logcollapse

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultKeys are the attributes that tell one kind of record from another.
// Others (ip, user, duration, request id ...) vary per request and do not
// count: the first record of a kind is written with all of them.
var DefaultKeys = []string{"entry", "err", "error", "job", "kind", "table", "panic"}

// Clock is the time source; tests use a fake one.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func())
}

type realClock struct{}

func (realClock) Now() time.Time                      { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

// Options configure a Handler; the zero value means the defaults.
type Options struct {
	// Window is how long repeats are counted before one summary line (10 s).
	Window time.Duration
	// Level is the lowest level collapsed (slog.LevelWarn).
	Level *slog.Level
	// Keys are the identifying attributes (DefaultKeys).
	Keys []string
	// MaxKinds bounds the kinds remembered at once (10000); beyond it new
	// kinds pass uncollapsed.
	MaxKinds int
	Clock    Clock
}

// Handler collapses repeated records; see the package comment.
type Handler struct {
	next   slog.Handler
	st     *state
	preKey string // identifying attributes added with WithAttrs
}

var _ slog.Handler = (*Handler)(nil)

type state struct {
	window   time.Duration
	level    slog.Level
	keys     map[string]bool
	maxKinds int
	clock    Clock

	mu    sync.Mutex
	kinds map[string]*kind
}

// kind is one (level, message, key attributes) seen recently.
type kind struct {
	start   time.Time // of the current window
	count   int       // repeats held back in this window
	next    slog.Handler
	level   slog.Level
	msg     string
	keyAttr []slog.Attr
}

// New wraps next; o may be nil.
func New(next slog.Handler, o *Options) *Handler {
	if o == nil {
		o = &Options{}
	}
	st := &state{window: o.Window, level: slog.LevelWarn, maxKinds: o.MaxKinds, clock: o.Clock, kinds: map[string]*kind{}, keys: map[string]bool{}}
	if st.window <= 0 {
		st.window = 10 * time.Second
	}
	if o.Level != nil {
		st.level = *o.Level
	}
	if st.maxKinds <= 0 {
		st.maxKinds = 10000
	}
	if st.clock == nil {
		st.clock = realClock{}
	}
	keys := o.Keys
	if keys == nil {
		keys = DefaultKeys
	}
	for _, k := range keys {
		st.keys[k] = true
	}
	return &Handler{next: next, st: st}
}

// Enabled is the wrapped handler's.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs adds attrs to the wrapped handler; identifying ones also count
// in the kind of every record of the returned handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.preKey)
	for _, a := range attrs {
		h.st.writeKey(&b, a)
	}
	return &Handler{next: h.next.WithAttrs(attrs), st: h.st, preKey: b.String()}
}

// WithGroup opens a group in the wrapped handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), st: h.st, preKey: h.preKey}
}

func (st *state) writeKey(b *strings.Builder, a slog.Attr) {
	if !st.keys[a.Key] {
		return
	}
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
	b.WriteByte(0)
}

// Handle passes r, or counts it as a repeat of a record already written.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	st := h.st
	if r.Level < st.level {
		return h.next.Handle(ctx, r)
	}
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte(0)
	b.WriteString(r.Message)
	b.WriteByte(0)
	b.WriteString(h.preKey)
	var keyAttrs []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		if st.keys[a.Key] {
			st.writeKey(&b, a)
			keyAttrs = append(keyAttrs, a)
		}
		return true
	})
	id := b.String()
	now := st.clock.Now()

	st.mu.Lock()
	k := st.kinds[id]
	switch {
	case k == nil:
		if len(st.kinds) >= st.maxKinds {
			st.sweepLocked(now)
		}
		if len(st.kinds) < st.maxKinds {
			st.kinds[id] = &kind{start: now}
		}
		st.mu.Unlock()
		return h.next.Handle(ctx, r)
	case k.count == 0 && now.Sub(k.start) >= st.window:
		k.start = now // quiet for a window: a fresh start
		st.mu.Unlock()
		return h.next.Handle(ctx, r)
	}
	k.count++
	if k.count == 1 { // the first repeat of this window: summary at its end
		k.next, k.level, k.msg, k.keyAttr = h.next, r.Level, r.Message, keyAttrs
		st.clock.AfterFunc(k.start.Add(st.window).Sub(now), func() { st.flush(id) })
	}
	st.mu.Unlock()
	return nil
}

// flush writes the summary of kind id's window and opens the next window.
func (st *state) flush(id string) {
	now := st.clock.Now()
	st.mu.Lock()
	k := st.kinds[id]
	if k == nil || k.count == 0 {
		st.mu.Unlock()
		return
	}
	n, next := k.count, k.next
	r := slog.NewRecord(now, k.level, fmt.Sprintf("%s (%d more in the last %g s)", k.msg, n, st.window.Seconds()), 0)
	r.AddAttrs(k.keyAttr...)
	r.AddAttrs(slog.Int("repeated", n))
	k.count, k.start, k.next, k.keyAttr = 0, now, nil, nil
	st.mu.Unlock()
	next.Handle(context.Background(), r)
}

// sweepLocked forgets the kinds quiet for a whole window.
func (st *state) sweepLocked(now time.Time) {
	for id, k := range st.kinds {
		if k.count == 0 && now.Sub(k.start) >= st.window {
			delete(st.kinds, id)
		}
	}
}
