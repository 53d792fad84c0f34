package transport

import (
	"strings"
	"testing"
)

func TestParseConsoleLine(t *testing.T) {
	cases := []struct {
		line string
		want map[string]string
	}{
		{"/mvapireq/?apientry=balance&authid=x", map[string]string{"apientry": "balance", "authid": "x"}},
		{"apientry=rating&bnum=44", map[string]string{"apientry": "rating", "bnum": "44"}},
		{"rating 4420 targetuser=joe", map[string]string{"apientry": "rating", "param1": "4420", "targetuser": "joe"}},
		{"db txt=select", map[string]string{"apientry": "db", "txt": "select"}},
		{"Version", map[string]string{"apientry": "Version"}},
	}
	for _, tc := range cases {
		params, err := parseConsoleLine(tc.line, "")
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		got := map[string]string{}
		for _, p := range params {
			got[p.Name] = p.Value
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tc.line, k, got[k], v)
			}
		}
	}
}

func FuzzParseConsoleLine(f *testing.F) {
	for _, s := range []string{"version", "rating 44 x=y", "/mvapireq/?apientry=a&b=c", "apientry=x&mcrfs=AAAA", "a =b = c", "x oenc1_QQ=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		line = strings.TrimSpace(line)
		if line == "" {
			return
		}
		params, err := parseConsoleLine(line, "aJ6aqK4Nah3hnP7aht")
		if err != nil {
			return
		}
		for _, p := range params {
			if p.Name == "" {
				t.Fatalf("%q: empty parameter name", line)
			}
		}
	})
}
