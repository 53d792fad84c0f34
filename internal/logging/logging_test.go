package logging

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestSwitchFormatLevelAndRequestID(t *testing.T) {
	var b bytes.Buffer
	sw := New(&b)
	log := slog.New(sw).With("node", "n1")
	ctx := WithRequestID(context.Background(), "r-1")
	log.InfoContext(ctx, "hello")
	log.Debug("hidden")
	if got := b.String(); !strings.Contains(got, "msg=hello node=n1 request=r-1") || strings.Contains(got, "hidden") {
		t.Fatalf("text: %q", got)
	}
	b.Reset()
	if err := sw.Set("json", "debug"); err != nil {
		t.Fatal(err)
	}
	log.DebugContext(ctx, "shown", "request", "explicit")
	if got := b.String(); !strings.Contains(got, `"msg":"shown","node":"n1","request":"explicit"}`) {
		t.Fatalf("json: %q", got)
	}
	if sw.Set("xml", "") == nil || sw.Set("", "loud") == nil {
		t.Fatal("bad settings accepted")
	}
	b.Reset()
	ErrorLog(sw).Print("http: TLS handshake error from 1.2.3.4: EOF")
	if got := b.String(); !strings.Contains(got, `"level":"WARN"`) || !strings.Contains(got, "TLS handshake error") {
		t.Fatalf("error log: %q", got)
	}
}
