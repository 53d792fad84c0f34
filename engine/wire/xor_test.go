package wire

import (
	"mvapi/internal/webphone"
	"strings"
	"testing"
)

// Known answers, computed by hand from the algorithm with DefaultXORKey
// "aJ6aqK4Nah3hnP7aht" (key bytes 61 4a 36 61 71 4b 34 4e 61 68 33 68 6e 50
// 37 61 68 74, repeating every 18 bytes).
//
// "now=150" = 6e 6f 77 3d 31 35 30
//
//	XOR key     61 4a 36 61 71 4b 34
//	= (mod 128) 0f 25 41 5c 40 7e 04
//	Base64: 0f2541 → 000011 110010 010101 000001 → D y V B
//	        5c407e → 010111 000100 000001 111110 → X E B +
//	        04     → 000001 00(0000)             → B A = =
//	"DyVBXEB+BA==" mapped ('+' → '_', '=' → '-') → "DyVBXEB_BA--"
//
// "apientry=balance&authid=u1" (26 bytes) XOR key, mod 128:
//
//	00 3a 5f 04 1f 3f 46 37 5c 0a 52 04 0f 3e 54 04 4e 15 (key wraps here)
//	14 3e 5e 08 15 76 41 7f
//	Base64: 003a5f → A D p f, 041f3f → B B 8 /, 46375c → R j d c,
//	        0a5204 → C l I E, 0f3e54 → D z 5 U, 044e15 → B E 4 V,
//	        143e5e → F D 5 e, 081576 → C B V 2, 417f → Q X 8 =
//	"ADpfBB8/RjdcClIEDz5UBE4VFD5eCBV2QX8=" mapped ('/' → '.', '=' → '-')
//	→ "ADpfBB8.RjdcClIEDz5UBE4VFD5eCBV2QX8-"
var xorVectors = []struct {
	name, plain, key, enc string
}{
	{"plus and padding", "now=150", DefaultXORKey, "DyVBXEB_BA--"},
	{"slash and key wrap", "apientry=balance&authid=u1", DefaultXORKey, "ADpfBB8.RjdcClIEDz5UBE4VFD5eCBV2QX8-"},
	{"empty text", "", DefaultXORKey, ""},
	{"single byte equal to key", "a", DefaultXORKey, "AA--"},
	{"empty key is plain base64", "hi>?", "", "aGk_Pw--"},
	{"short key", "abc", "k", "CgkI"},
}

func TestEncodeXORKnownAnswers(t *testing.T) {
	for _, tc := range xorVectors {
		t.Run(tc.name, func(t *testing.T) {
			got := webphone.EncodeXOR(tc.plain, tc.key)
			if got != tc.enc {
				t.Errorf("webphone.EncodeXOR(%q) = %q, want %q", tc.plain, got, tc.enc)
			}
			if strings.ContainsAny(got, "=+/") {
				t.Errorf("webphone.EncodeXOR(%q) = %q contains a character of '=', '+', '/'", tc.plain, got)
			}
			back, err := DecodeXOR(got, tc.key)
			if err != nil || back != tc.plain {
				t.Errorf("DecodeXOR(%q) = %q, %v; want %q", got, back, err, tc.plain)
			}
		})
	}
}

func TestDecodeXORVariants(t *testing.T) {
	tests := []struct {
		name, enc, key, want string
		wantErr              bool
	}{
		{name: "wire alphabet", enc: "DyVBXEB_BA--", key: DefaultXORKey, want: "now=150"},
		{name: "missing padding", enc: "DyVBXEB_BA", key: DefaultXORKey, want: "now=150"},
		{name: "standard alphabet", enc: "DyVBXEB+BA==", key: DefaultXORKey, want: "now=150"},
		{name: "plus turned into space", enc: "DyVBXEB BA", key: DefaultXORKey, want: "now=150"},
		{name: "empty key", enc: "aGk_Pw", key: "", want: "hi>?"},
		{name: "bad character", enc: "DyV*XEB_BA--", key: DefaultXORKey, wantErr: true},
		{name: "impossible length", enc: "DyVBX", key: DefaultXORKey, wantErr: true},
		{name: "padding in the middle", enc: "AA--AA--", key: DefaultXORKey, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeXOR(tc.enc, tc.key)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("DecodeXOR(%q) = %q, want an error", tc.enc, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("DecodeXOR(%q) = %q, %v; want %q", tc.enc, got, err, tc.want)
			}
		})
	}
}

func TestXORRoundTripASCII(t *testing.T) {
	var all strings.Builder
	for b := range 128 {
		all.WriteByte(byte(b))
	}
	tests := []struct{ name, plain, key string }{
		{"all ASCII bytes, default key", all.String(), DefaultXORKey},
		{"all ASCII bytes, other key", all.String(), "k3y"},
		{"query with escapes", "apientry=balance&authkey=a%26b%20c&now=415", DefaultXORKey},
		{"longer than the key", strings.Repeat("0123456789", 10), DefaultXORKey},
		{"non-ASCII survives without key", "héllo €", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeXOR(webphone.EncodeXOR(tc.plain, tc.key), tc.key)
			if err != nil || got != tc.plain {
				t.Fatalf("round trip of %q = %q, %v", tc.plain, got, err)
			}
		})
	}
}

// TestXORLossyAboveASCII documents Mizu's mod 128: bytes ≥ 128 lose their
// high bit, so non-ASCII text does not survive a keyed round trip.
func TestXORLossyAboveASCII(t *testing.T) {
	got, err := DecodeXOR(webphone.EncodeXOR("é", DefaultXORKey), DefaultXORKey) // c3 a9
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x43\x29"; got != want {
		t.Fatalf("round trip of \"é\" = %q, want %q (high bits dropped)", got, want)
	}
}
