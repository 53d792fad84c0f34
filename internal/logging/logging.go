// Package logging is the server's log output: text or JSON lines on one
// writer at a level that can change while the server runs (logformat,
// loglevel, applied at start and on every reload), and the request id of
// the request being served added to every line logged with its context.
package logging

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync/atomic"
)

// Switch is a slog.Handler writing text or JSON lines, switchable at run
// time. Handlers derived with WithAttrs and WithGroup share its settings.
type Switch struct {
	st         *settings
	text, json slog.Handler
}

type settings struct {
	level slog.LevelVar
	json  atomic.Bool
}

// New returns a Switch writing text lines at info level to w.
func New(w io.Writer) *Switch {
	st := &settings{}
	opts := &slog.HandlerOptions{Level: &st.level}
	return &Switch{st: st, text: slog.NewTextHandler(w, opts), json: slog.NewJSONHandler(w, opts)}
}

// Set changes the format ("text" or "json") and the level ("debug",
// "info", "warn", "error"); empty keeps the current one.
func (s *Switch) Set(format, level string) error {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "":
	case "text":
		s.st.json.Store(false)
	case "json":
		s.st.json.Store(true)
	default:
		return fmt.Errorf("logformat %q: want text or json", format)
	}
	if level = strings.TrimSpace(level); level != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(level)); err != nil {
			return fmt.Errorf("loglevel %q: want debug, info, warn or error", level)
		}
		s.st.level.Set(l)
	}
	return nil
}

// Format is the current format, "text" or "json".
func (s *Switch) Format() string {
	if s.st.json.Load() {
		return "json"
	}
	return "text"
}

// Level is the current least level.
func (s *Switch) Level() slog.Level { return s.st.level.Level() }

// Enabled reports whether l is at or above the current level.
func (s *Switch) Enabled(_ context.Context, l slog.Level) bool { return l >= s.st.level.Level() }

// Handle writes r in the current format, with the request id of ctx when
// r does not carry one already.
func (s *Switch) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" && !hasAttr(r, "request") {
		r = r.Clone()
		r.AddAttrs(slog.String("request", id))
	}
	if s.st.json.Load() {
		return s.json.Handle(ctx, r)
	}
	return s.text.Handle(ctx, r)
}

// WithAttrs returns a Switch adding attrs, sharing s's settings.
func (s *Switch) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Switch{st: s.st, text: s.text.WithAttrs(attrs), json: s.json.WithAttrs(attrs)}
}

// WithGroup returns a Switch opening a group, sharing s's settings.
func (s *Switch) WithGroup(name string) slog.Handler {
	return &Switch{st: s.st, text: s.text.WithGroup(name), json: s.json.WithGroup(name)}
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

type requestIDKey struct{}

// RequestIDKey is the context key RequestID reads: a context type of its
// own (the engine's per-request context) answers Value(RequestIDKey) with
// a *string and carries the id without a context.WithValue allocation.
var RequestIDKey any = requestIDKey{}

// WithRequestID returns ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return WithRequestIDRef(ctx, &id)
}

// WithRequestIDRef returns ctx carrying the request id *id (read when a
// line is logged): one allocation on the hot path instead of two.
func WithRequestIDRef(ctx context.Context, id *string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries, "" when none.
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if id, _ := ctx.Value(requestIDKey{}).(*string); id != nil {
		return *id
	}
	return ""
}

// ErrorLog is a *log.Logger for http.Server.ErrorLog and other libraries
// that log through the standard library: its lines go to h at warn level
// ("http: TLS handshake error ..." among them).
func ErrorLog(h slog.Handler) *log.Logger { return slog.NewLogLogger(h, slog.LevelWarn) }
