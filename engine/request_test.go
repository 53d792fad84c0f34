package engine_test

import (
	"net/netip"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
)

func TestNewRequest(t *testing.T) {
	cases := []struct {
		name  string
		query string
		entry string
		want  map[string]string
	}{
		{"case-insensitive names", "apiEntry=Balance&authKey=k&AUTHID=u", "balance", map[string]string{"authkey": "k", "authid": "u"}},
		{"authsalt alias", "apientry=x&authsalt=123", "x", map[string]string{"authsalt1": "123"}},
		{"authsalt1 wins over alias", "apientry=x&authsalt=1&authsalt1=2", "x", map[string]string{"authsalt1": "2"}},
		{"phone aliases", "apientry=x&phone1=a&to=b&message=hi", "x", map[string]string{"anum": "a", "bnum": "b", "txt": "hi"}},
		{"legacy positional", "param1=rating&param2=k&param3=u&param4=p&param5=44", "rating", map[string]string{"authkey": "k", "authid": "u", "authpwd": "p", "param1": "44"}},
		{"format and callback", "apientry=x&format=JSON&callback=cb", "x", map[string]string{"format": "JSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			params, err := wire.ParseQuery(tc.query, "")
			if err != nil {
				t.Fatal(err)
			}
			r := engine.NewRequest(params, netip.MustParseAddr("::ffff:10.1.2.3"), "http")
			if r.Entry != tc.entry {
				t.Errorf("entry %q, want %q", r.Entry, tc.entry)
			}
			for k, v := range tc.want {
				if got := r.Params.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if r.RemoteIP.String() != "10.1.2.3" {
				t.Errorf("ip %v not unmapped", r.RemoteIP)
			}
		})
	}
}
