package wire

import (
	"fmt"
	"mvapi/internal/webphone"
	"reflect"
	"strings"
	"testing"
)

// p builds a parameter list from name, value pairs.
func p(pairs ...string) []Param {
	out := []Param{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Param{Name: pairs[i], Value: pairs[i+1]})
	}
	return out
}

// sameParams compares parameter lists, treating nil and empty as equal.
func sameParams(got, want []Param) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return reflect.DeepEqual(got, want)
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name, raw string
		want      []Param
	}{
		{"empty", "", nil},
		{"simple", "apientry=balance&authid=u1", p("apientry", "balance", "authid", "u1")},
		{"names are lower-cased", "authKey=K&AUTHID=U1", p("authkey", "K", "authid", "U1")},
		{"bare now flag", "apientry=x&now", p("apientry", "x", "now", "")},
		{"empty value", "a=&b", p("a", "", "b", "")},
		{"order and duplicates kept", "b=1&a=2&b=3", p("b", "1", "a", "2", "b", "3")},
		{"plus is space", "name=John+Smith", p("name", "John Smith")},
		{"percent escapes", "v=a%26b%3Dc%2Bd%20e", p("v", "a&b=c+d e")},
		{"escaped name", "auth%4Bey=k", p("authkey", "k")},
		{"utf-8 escaped", "n=%C3%A9t%C3%A9", p("n", "été")},
		{"utf-8 raw", "n=日本", p("n", "日本")},
		{"second = belongs to value", "a=b=c", p("a", "b=c")},
		{"empty pieces skipped", "&&a=1&&b=2&", p("a", "1", "b", "2")},
		{"empty name skipped", "=x&a=1", p("a", "1")},
		{"leading question mark", "?apientry=x", p("apientry", "x")},
		{"surrounding white space", "  apientry=x&now\r\n", p("apientry", "x", "now", "")},
		{"path", "/mvapireq/?apientry=x", p("apientry", "x")},
		{"url", "http://h/mvapireq/?a=b", p("a", "b")},
		{"https url with port", "HTTPS://h:443/mvapireq/?A=b", p("a", "b")},
		{"websocket prefix", "mvstwebsock/mvapireq/?a=b", p("a", "b")},
		{"path without query", "/mvapireq/", nil},
		{"question mark in a value", "a=b?c&d=/x?y", p("a", "b?c", "d", "/x?y")},
		{"value mentioning mvapireq", "url=/mvapireq/?x&a=1", p("url", "/mvapireq/?x", "a", "1")},
		{"oenc1 value expanded", "authkey=oenc1_" + webphone.EncodeXOR("s3cret", DefaultXORKey), p("authkey", "s3cret")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseQuery(tc.raw, DefaultXORKey)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tc.raw, err)
			}
			if !sameParams(got, tc.want) {
				t.Fatalf("ParseQuery(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		name, raw, wantInErr string
	}{
		{"bad escape in value", "apientry=x&authkey=ab%zz", `"authkey"`},
		{"truncated escape", "authid=%4", `"authid"`},
		{"bad escape in name", "auth%g1=x", `"auth%g1"`},
		{"too many parameters", strings.Repeat("a=1&", maxParams+1), "parameters"},
		{"name too long", strings.Repeat("n", maxNameLen+1) + "=1", "longer than"},
		{"bad mcrfs", "mcrfs=***", "mcrfs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseQuery(tc.raw, DefaultXORKey)
			if err == nil {
				t.Fatalf("ParseQuery(%.40q) = %q, want an error", tc.raw, got)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("error %q does not mention %s", err, tc.wantInErr)
			}
		})
	}
}

func TestParseQueryLimitsBoundary(t *testing.T) {
	var b strings.Builder
	for i := range maxParams {
		fmt.Fprintf(&b, "p%d=%d&", i, i)
	}
	got, err := ParseQuery(b.String(), "")
	if err != nil || len(got) != maxParams {
		t.Fatalf("%d parameters: got %d, %v", maxParams, len(got), err)
	}
	name := strings.Repeat("N", maxNameLen)
	got, err = ParseQuery(name+"=v", "")
	if err != nil || len(got) != 1 || got[0].Name != strings.ToLower(name) {
		t.Fatalf("name of %d bytes: got %q, %v", maxNameLen, got, err)
	}
}
