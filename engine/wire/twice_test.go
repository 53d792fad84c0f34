package wire

import (
	"testing"

	"mvapi/internal/webphone"
)

// The WebPhone encodes the values of an mcrfs request twice (issue 12):
// decoding is the exact inverse of its encoder for every awkward value.
func TestMCRFSValuesEncodedTwice(t *testing.T) {
	for _, v := range []string{"ann+1", "+3611111111", "100%", "50%25", "a&b=c", "two words", "a+b c", "é ü 日本", "p%2Bq", "x?y#z/", ""} {
		q := webphone.Query("apientry", "balance", "authid", v, "authpwd", v+"!", "now", "415")
		enc := webphone.MCRFS(q, DefaultXORKey)
		got, err := ParseQuery("/mvapireq/?mcrfs="+enc, DefaultXORKey)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		want := p("apientry", "balance", "authid", v, "authpwd", v+"!", "now", "415")
		if len(got) != len(want) {
			t.Fatalf("%q: got %q, want %q", v, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%q: param %d = %q, want %q", v, i, got[i], want[i])
			}
		}
	}
	// A client that XORs the URI itself (values encoded once, as the
	// reference describes mcrfs) still works for values without '%'.
	got, err := ParseQuery("mcrfs="+webphone.EncodeXOR("authid=ann%2B1&bnum=%2B36", DefaultXORKey), DefaultXORKey)
	if err != nil || len(got) != 2 || got[0].Value != "ann+1" || got[1].Value != "+36" {
		t.Fatalf("once-encoded mcrfs: %q %v", got, err)
	}
}
