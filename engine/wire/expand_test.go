package wire

import (
	"fmt"
	"mvapi/internal/webphone"
	"strings"
	"testing"
)

// encodeURIComponent mirrors JavaScript's encodeURIComponent, which the
// WebPhone applies to every value before it builds the mcrfs plain text.
func encodeURIComponent(s string) string {
	const unreserved = "-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(unreserved, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// webphoneRequest builds a request's plain text the way lib_webphone.js does:
// name=encodeURIComponent(value) joined by '&'.
func webphoneRequest(pairs ...string) string {
	parts := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+"="+encodeURIComponent(pairs[i+1]))
	}
	return strings.Join(parts, "&")
}

func TestExpand(t *testing.T) {
	plain := webphoneRequest("apientry", "balance", "authkey", "k", "authId", "u1",
		"authsalt", "123456", "authmd5", "abc", "now", "415", "note", "a&b c=d/é")
	enc := webphone.EncodeXOR(plain, DefaultXORKey)
	wpParams := p("apientry", "balance", "authkey", "k", "authid", "u1",
		"authsalt", "123456", "authmd5", "abc", "now", "415", "note", "a&b c=d/é")

	tests := []struct {
		name string
		in   []Param
		want []Param
	}{
		{"nothing to expand", p("a", "1", "b", "oenc2_x"), p("a", "1", "b", "oenc2_x")},
		{"webphone mcrfs", p("mcrfs", enc), wpParams},
		{
			"outside params kept, mcrfs wins on clash",
			p("transport", "ws", "authkey", "outer", "mcrfs", enc, "extra", "1"),
			append(append(p("transport", "ws"), wpParams...), p("extra", "1")...),
		},
		{"mcrfs name is case-insensitive", p("MCRFS", webphone.EncodeXOR("a=1", DefaultXORKey)), p("a", "1")},
		{"oenc1 value", p("authkey", "oenc1_"+webphone.EncodeXOR("s3cret&=", DefaultXORKey)), p("authkey", "s3cret&=")},
		{"empty oenc1 value", p("x", "oenc1_"), p("x", "")},
		{
			"oenc1 inside mcrfs",
			p("mcrfs", webphone.EncodeXOR("pw=oenc1_"+webphone.EncodeXOR("hidden", DefaultXORKey), DefaultXORKey)),
			p("pw", "hidden"),
		},
		{"empty mcrfs", p("a", "1", "mcrfs", ""), p("a", "1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]Param(nil), tc.in...)
			got, err := Expand(in, DefaultXORKey)
			if err != nil {
				t.Fatalf("Expand(%q): %v", tc.in, err)
			}
			if !sameParams(got, tc.want) {
				t.Fatalf("Expand(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if !sameParams(in, tc.in) {
				t.Fatalf("Expand modified its input: %q", in)
			}
		})
	}
}

// TestExpandThroughParseQuery sends the WebPhone's request as a real client
// would: GET /mvapireq/?mcrfs=ENC.
func TestExpandThroughParseQuery(t *testing.T) {
	plain := webphoneRequest("apientry", "balance", "authkey", "k", "authid", "u1", "now", "415")
	got, err := ParseQuery("/mvapireq/?mcrfs="+webphone.EncodeXOR(plain, DefaultXORKey), DefaultXORKey)
	if err != nil {
		t.Fatal(err)
	}
	want := p("apientry", "balance", "authkey", "k", "authid", "u1", "now", "415")
	if !sameParams(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestExpandErrors(t *testing.T) {
	inner := webphone.EncodeXOR("a=1", DefaultXORKey)
	tests := []struct {
		name      string
		in        []Param
		wantInErr string
	}{
		{"nested mcrfs", p("mcrfs", webphone.EncodeXOR("a=1&mcrfs="+inner, DefaultXORKey)), "nested"},
		{"two mcrfs", p("mcrfs", inner, "mcrfs", inner), "more than once"},
		{"corrupt mcrfs base64", p("mcrfs", "AB*CD"), "mcrfs"},
		{"mcrfs with impossible length", p("mcrfs", "ABCDE"), "mcrfs"},
		{"bad escape inside mcrfs", p("mcrfs", webphone.EncodeXOR("authkey=%zz", DefaultXORKey)), `"authkey"`},
		{"corrupt oenc1 value", p("authkey", "oenc1_!!"), `"authkey"`},
		{"corrupt oenc1 inside mcrfs", p("mcrfs", webphone.EncodeXOR("pw=oenc1_%21", DefaultXORKey)), `"pw"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expand(tc.in, DefaultXORKey)
			if err == nil {
				t.Fatalf("Expand(%q) = %q, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("error %q does not mention %s", err, tc.wantInErr)
			}
		})
	}
}
