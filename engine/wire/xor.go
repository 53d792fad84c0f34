package wire

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// DefaultXORKey is the key Mizu's WebPhone (lib_webphone.js) uses to
// obfuscate API requests: "aJ6aqK4Nah3hnP7aht".
const DefaultXORKey = "aJ6aqK4Nah3hnP7aht"

// fromWire maps the characters the WebPhone sends in place of the Base64
// characters that are awkward in a URL back ('-' → '=', '_' → '+', '.' → '/');
// it also reads a space as '+', in case a raw Base64 text went through form
// decoding.
var fromWire = strings.NewReplacer("-", "=", "_", "+", ".", "/", " ", "+")

// DecodeXOR reverses the WebPhone's obfuscation (see internal/webphone,
// its client side, for the encoding): it maps '-' → '=', '_' → '+' and '.' → '/'
// (and a space → '+'), Base64-decodes the text (padding may be missing), then
// XORs each byte i with key[i % len(key)] and reduces it modulo 128.
//
// With a non-empty key the result is always ASCII. An empty key means no XOR
// (Base64 only). Malformed Base64 is an error.
func DecodeXOR(enc, key string) (string, error) {
	std := strings.TrimRight(fromWire.Replace(enc), "=")
	buf, err := base64.RawStdEncoding.DecodeString(std)
	if err != nil {
		return "", fmt.Errorf("wire: bad XOR/Base64 text: %w", err)
	}
	xorBytes(buf, key)
	return string(buf), nil
}

// xorBytes XORs buf in place with the repeated key, reducing every byte
// modulo 128 as Mizu does. An empty key leaves buf unchanged.
func xorBytes(buf []byte, key string) {
	if key == "" {
		return
	}
	for i := range buf {
		buf[i] = (buf[i] ^ key[i%len(key)]) % 128
	}
}

// Names of Mizu's obfuscation markers.
const (
	mcrfsName  = "mcrfs"
	oencPrefix = "oenc1_"
)

// Expand applies Mizu's obfuscation rules to decoded params and returns a new
// slice; params itself is not modified.
//
//   - A parameter named "mcrfs" holds a whole request: its value is
//     [DecodeXOR]'ed with xorKey and the plain text, a query string built as
//     name=encodeURIComponent(value) joined by '&', is parsed with the
//     [ParseQuery] rules, and each value is then percent-decoded once more
//     (see unescapeTwice: the WebPhone encodes its values twice). Its
//     parameters replace the mcrfs parameter, in place.
//     Parameters outside mcrfs are kept, except that on a name clash the ones
//     from mcrfs win. An mcrfs inside mcrfs, or more than one mcrfs, is an
//     error.
//   - A value starting with "oenc1_" (outside or inside mcrfs) has the rest
//     [DecodeXOR]'ed with xorKey, and the plain text replaces the value.
//
// Decode errors say which parameter failed.
func Expand(params []Param, xorKey string) ([]Param, error) {
	mcrfsAt := -1
	for i, p := range params {
		if !strings.EqualFold(p.Name, mcrfsName) {
			continue
		}
		if mcrfsAt >= 0 {
			return nil, fmt.Errorf("wire: parameter %s: given more than once", mcrfsName)
		}
		mcrfsAt = i
	}
	if mcrfsAt < 0 {
		return decodeValues(params, xorKey)
	}

	plain, err := DecodeXOR(params[mcrfsAt].Value, xorKey)
	if err != nil {
		return nil, fmt.Errorf("wire: parameter %s: %w", mcrfsName, err)
	}
	inner, err := parseQuery(plain)
	if err != nil {
		return nil, fmt.Errorf("wire: parameter %s: %w", mcrfsName, err)
	}
	for i := range inner {
		inner[i].Value = unescapeTwice(inner[i].Value)
	}
	fromInner := make(map[string]bool, len(inner))
	for _, p := range inner {
		if p.Name == mcrfsName {
			return nil, fmt.Errorf("wire: parameter %s: nested %s is not allowed", mcrfsName, mcrfsName)
		}
		fromInner[p.Name] = true
	}

	out := make([]Param, 0, len(params)-1+len(inner))
	for i, p := range params {
		switch {
		case i == mcrfsAt:
			out = append(out, inner...)
		case !fromInner[strings.ToLower(p.Name)]:
			out = append(out, p)
		}
	}
	return decodeValues(out, xorKey)
}

// unescapeTwice undoes the second URL encoding of an mcrfs value. The
// WebPhone builds the request URL with its values URL-encoded
// (encodeURIComponent: "ann+1" as "ann%2B1"), then re-serialises that
// query as name=encodeURIComponent(value) over the already encoded values
// before the XOR ("ann%252B1"). parseQuery has undone the outer encoding;
// this undoes the inner one: percent escapes only, since encodeURIComponent
// writes a space as %20 and leaves no '+' standing for a space. A value
// without '%' (a client that encoded once, as the reference describes
// mcrfs) is returned as it is, and so is one whose '%' does not start a
// valid escape ("100%"): only a once-encoded value holding a literal %XX
// sequence is read differently, the price of the WebPhone's shape.
func unescapeTwice(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		return v
	}
	return u
}

// decodeValues returns params with every "oenc1_" value decoded: a copy
// when any value was encoded, else params itself (never changed).
func decodeValues(params []Param, xorKey string) ([]Param, error) {
	var out []Param // a copy, made at the first encoded value: params stay as they are
	for i, p := range params {
		rest, ok := strings.CutPrefix(p.Value, oencPrefix)
		if !ok {
			continue
		}
		plain, err := DecodeXOR(rest, xorKey)
		if err != nil {
			return nil, fmt.Errorf("wire: parameter %q: %s value: %w", p.Name, oencPrefix, err)
		}
		if out == nil {
			out = append([]Param(nil), params...)
		}
		out[i].Value = plain
	}
	if out == nil {
		return params, nil
	}
	return out, nil
}
