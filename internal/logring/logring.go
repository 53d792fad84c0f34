// Package logring keeps the most recent lines of the server log in memory,
// for the admin entries showlog, log and logsearch. Handler wraps any
// slog.Handler: every record goes on to the wrapped handler unchanged in
// level and order, and a text copy of it goes into a bounded ring of lines.
//
// The copy never holds a secret: an attribute whose key names one
// (password, authpwd, authmd5, apiv2key, token, ...) is masked before it is
// written, whatever handler the record then reaches.
package logring

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// DefaultLines is the ring size when New is given 0 or less.
const DefaultLines = 2000

// maxLine is the most bytes one line keeps in the ring.
const maxLine = 2048

// Ring is a bounded buffer of log lines, safe for concurrent use.
type Ring struct {
	mu    sync.Mutex
	lines []string
	next  int   // where the next line goes
	full  bool  // the ring has wrapped
	total int64 // lines ever written
}

// NewRing returns a ring that keeps the last n lines.
func NewRing(n int) *Ring {
	if n <= 0 {
		n = DefaultLines
	}
	return &Ring{lines: make([]string, n)}
}

// Add appends one line, dropping the oldest when the ring is full.
func (r *Ring) Add(line string) {
	if len(line) > maxLine {
		line = line[:maxLine] + "...(cut)"
	}
	r.mu.Lock()
	r.lines[r.next] = line
	r.next++
	r.total++
	if r.next == len(r.lines) {
		r.next, r.full = 0, true
	}
	r.mu.Unlock()
}

// Recent returns up to n of the newest lines, oldest first.
func (r *Ring) Recent(n int) []string {
	return r.Search("", n)
}

// Search returns up to n of the newest lines that contain substr
// (case-insensitive; "" matches every line), oldest first.
func (r *Ring) Search(substr string, n int) []string {
	r.mu.Lock()
	all := r.snapshot()
	r.mu.Unlock()
	if n <= 0 {
		return nil
	}
	substr = strings.ToLower(substr)
	var out []string
	for i := len(all) - 1; i >= 0 && len(out) < n; i-- {
		if substr == "" || strings.Contains(strings.ToLower(all[i]), substr) {
			out = append(out, all[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Total is the number of lines ever written to the ring.
func (r *Ring) Total() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// Cap is how many lines the ring keeps.
func (r *Ring) Cap() int { return len(r.lines) }

// snapshot copies the lines oldest first; r.mu must be held.
func (r *Ring) snapshot() []string {
	if !r.full {
		return append([]string(nil), r.lines[:r.next]...)
	}
	out := make([]string, 0, len(r.lines))
	out = append(out, r.lines[r.next:]...)
	return append(out, r.lines[:r.next]...)
}

// Handler is a slog.Handler that copies every record into a Ring as one
// text line and passes it on to the wrapped handler.
type Handler struct {
	next slog.Handler
	ring *Ring
	text slog.Handler // formats into buf; carries WithAttrs/WithGroup state
	buf  *lineBuffer
}

var _ slog.Handler = (*Handler)(nil)

// New wraps next with a ring of lines lines (DefaultLines when 0).
func New(next slog.Handler, lines int) *Handler {
	buf := &lineBuffer{}
	return &Handler{
		next: next, ring: NewRing(lines), buf: buf,
		text: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}),
	}
}

// Ring returns the ring the handler writes into.
func (h *Handler) Ring() *Ring { return h.ring }

// Recent returns up to n of the newest log lines, oldest first.
func (h *Handler) Recent(n int) []string { return h.ring.Recent(n) }

// Search returns up to n of the newest log lines containing substr.
func (h *Handler) Search(substr string, n int) []string { return h.ring.Search(substr, n) }

// Enabled keeps the wrapped handler's level: the ring holds what the log holds.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle masks secrets in r, records it in the ring and passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	r = maskRecord(r)
	if line, err := h.buf.format(ctx, h.text, r); err == nil {
		h.ring.Add(line)
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a handler that adds attrs (secrets masked) to both the
// log and the ring.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = maskAttr(a)
	}
	return &Handler{next: h.next.WithAttrs(masked), ring: h.ring, buf: h.buf, text: h.text.WithAttrs(masked)}
}

// WithGroup returns a handler that opens a group in both the log and the ring.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), ring: h.ring, buf: h.buf, text: h.text.WithGroup(name)}
}

// lineBuffer serialises formatting: the text handler writes one record
// into it under the lock and the line is taken out at once.
type lineBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lineBuffer) Write(p []byte) (int, error) { return l.b.Write(p) }

func (l *lineBuffer) format(ctx context.Context, h slog.Handler, r slog.Record) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
	if err := h.Handle(ctx, r); err != nil {
		return "", err
	}
	return strings.TrimRight(l.b.String(), "\n"), nil
}
