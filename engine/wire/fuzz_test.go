package wire

import (
	"mvapi/internal/webphone"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkParams asserts the invariants every successful parse must hold.
func checkParams(t *testing.T, params []Param) {
	t.Helper()
	if len(params) > maxParams {
		t.Fatalf("%d parameters, limit is %d", len(params), maxParams)
	}
	for _, p := range params {
		if p.Name == "" || len(p.Name) > maxNameLen {
			t.Fatalf("bad name length %d: %.40q", len(p.Name), p.Name)
		}
		if strings.ToLower(p.Name) != p.Name && utf8.ValidString(p.Name) {
			t.Fatalf("name %q is not lower-cased", p.Name)
		}
		if p.Name == mcrfsName {
			t.Fatalf("mcrfs survived Expand: %q", params)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	mcrfs := webphone.EncodeXOR("apientry=balance&authkey=a%26b%20c&now=415", DefaultXORKey)
	for _, seed := range []string{
		"", "apientry=balance&authKey=k&now", "/mvapireq/?apientry=x", "http://h/mvapireq/?a=b",
		"mvstwebsock/mvapireq/?a=b", "?a=%C3%A9+b", "a=%zz", "=&&=", "mcrfs=" + mcrfs,
		"a=1&mcrfs=" + mcrfs + "&apientry=outer", "pw=oenc1_" + webphone.EncodeXOR("x", DefaultXORKey),
	} {
		f.Add(seed, DefaultXORKey)
	}
	f.Add("mcrfs=aGk_Pw", "")
	f.Fuzz(func(t *testing.T, raw, key string) {
		params, err := ParseQuery(raw, key)
		if err != nil {
			if params != nil {
				t.Fatalf("error %v with params %q", err, params)
			}
			return
		}
		checkParams(t, params)
	})
}

func FuzzParseBody(f *testing.F) {
	seeds := []struct{ contentType, body string }{
		{"", ""},
		{"application/x-www-form-urlencoded", "apientry=balance&authkey=k"},
		{"", "a=1\r\n"},
		{"text/plain", "; c\n[s]\na = 1\nb=oenc1_AA--\n"},
		{"application/json", `{"a":"1","n":1.5e3,"b":true,"z":null}`},
		{"", `{"params":{"a":"1"},"request":{"b":2}}`},
		{"", `{"a":{"b":1}}`},
		{"text/xml", soap11},
		{"application/soap+xml", soap12},
		{"", `<r a="1"><x>1</x><y><![CDATA[2]]></y><z/></r>`},
		{"", `<?xml version="1.0" encoding="latin1"?><r><n>` + "\xe9" + `</n></r>`},
		{"multipart/form-data; boundary=x", "--x"},
		{"", "\xef\xbb\xbf{\"mcrfs\":\"" + webphone.EncodeXOR("a=1", DefaultXORKey) + "\"}"},
	}
	for _, s := range seeds {
		f.Add(s.contentType, []byte(s.body), DefaultXORKey)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte, key string) {
		params, format, err := ParseBody(contentType, body, key)
		if err != nil {
			if params != nil || format != "" {
				t.Fatalf("error %v with params %q, format %q", err, params, format)
			}
			return
		}
		switch format {
		case "query", "json", "xml", "soap", "ini":
		default:
			t.Fatalf("unknown format %q", format)
		}
		checkParams(t, params)
	})
}

func FuzzXORRoundTrip(f *testing.F) {
	f.Add("apientry=balance&authid=u1", DefaultXORKey)
	f.Add("now=150", DefaultXORKey)
	f.Add("", "")
	f.Add("\x00\x7f\x80\xff", "")
	f.Add("abc", "\xff")
	f.Fuzz(func(t *testing.T, s, key string) {
		if key != "" {
			// Mizu's mod 128 only preserves ASCII; keep the low 7 bits.
			b := []byte(s)
			for i := range b {
				b[i] &= 0x7f
			}
			s = string(b)
		}
		enc := webphone.EncodeXOR(s, key)
		if strings.ContainsAny(enc, "=+/") {
			t.Fatalf("webphone.EncodeXOR(%q) = %q uses a character of '=', '+', '/'", s, enc)
		}
		got, err := DecodeXOR(enc, key)
		if err != nil || got != s {
			t.Fatalf("DecodeXOR(webphone.EncodeXOR(%q)) = %q, %v", s, got, err)
		}
	})
}

func FuzzDecodeXOR(f *testing.F) {
	f.Add("ADpfBB8.RjdcClIEDz5UBE4VFD5eCBV2QX8-", DefaultXORKey)
	f.Add("DyVBXEB_BA", DefaultXORKey)
	f.Add("DyVBXEB BA==", DefaultXORKey)
	f.Add("AA--AA--", "")
	f.Add("*", "k")
	f.Fuzz(func(t *testing.T, enc, key string) {
		plain, err := DecodeXOR(enc, key)
		if err != nil {
			return
		}
		if key == "" {
			return
		}
		for i := 0; i < len(plain); i++ {
			if plain[i] >= 0x80 {
				t.Fatalf("DecodeXOR(%q) = %q is not ASCII", enc, plain)
			}
		}
		if again, err := DecodeXOR(webphone.EncodeXOR(plain, key), key); err != nil || again != plain {
			t.Fatalf("re-encoding %q gave %q, %v", plain, again, err)
		}
	})
}
