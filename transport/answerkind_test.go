package transport

import (
	"testing"

	"mvapi/engine"
	"mvapi/engine/format"
)

// JSONP that cannot be answered falls back to text; a failure keeps its own
// text, decided by the kind, and only a success is replaced by the reason.
func TestJSONPFallbackDecidesByKind(t *testing.T) {
	off := &engine.Config{JSONP: 0}
	const why = "ERROR: jsonp needs enablejsonp and a valid callback name"
	for _, tc := range []struct {
		name string
		res  format.Result
		want string
	}{
		{"success is replaced", engine.OK("fine"), why},
		{"shaped success is replaced", engine.Shaped("Your credit is $1"), why},
		{"invalid keeps its text", engine.Errorf("bad amount"), "ERROR: bad amount"},
		{"auth failure keeps its text", engine.Failf(engine.KindAuth, "auth failed: wrong key"), "ERROR: auth failed: wrong key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &engine.Request{Format: format.JSONP, Callback: "cb"}
			name, res := answerFormat(req, tc.res, off)
			if name != format.Text || res.Text != tc.want {
				t.Fatalf("got %s %q, want text %q", name, res.Text, tc.want)
			}
			if res.OK || res.Kind == engine.KindNone {
				t.Fatalf("fallback answer %+v is not a failure", res)
			}
		})
	}
}
