package engine

import (
	"context"
	"log/slog"
	"time"

	"mvapi/engine/format"
)

// logAccess writes the access log line of one request (accesslog=1):
// entry, user, ip, transport, outcome kind, duration, the answer text's
// bytes and the request id. Never parameters: they hold passwords and keys.
func (e *Engine) logAccess(ctx context.Context, req *Request, c *Call, entry string, res format.Result, took time.Duration) {
	user := ""
	if c != nil {
		if u := c.Caller; u != nil {
			user = u.Username
		} else if u := c.User; u != nil {
			user = u.Username
		}
	}
	kind := "ok"
	if !res.OK {
		kind = res.Kind.String()
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "access",
		slog.String("entry", entry), slog.String("user", user), slog.String("ip", req.RemoteIP.String()),
		slog.String("transport", req.Transport), slog.String("kind", kind),
		slog.Float64("ms", float64(took.Microseconds())/1000), slog.Int("bytes", len(res.Text)+rowBytes(res)),
		slog.String("request", req.ID))
}

// rowBytes estimates the bytes of a result's table (customsql rows) or
// file.
func rowBytes(res format.Result) int {
	n := 0
	if res.File != nil {
		n += len(res.File.Data)
	}
	for _, row := range res.Rows {
		for _, v := range row {
			n += len(v)
		}
	}
	return n
}
