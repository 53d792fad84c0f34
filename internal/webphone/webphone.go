// Package webphone is the client side of the formulas Mizu's WebPhone uses
// to talk to a Mizu server: the XOR+Base64 obfuscation of mcrfs/oenc1_
// values and the nonce form of authmd5. Tests use it to send exactly what
// the real client sends; the server only ever decodes, so none of this is
// part of the production packages.
package webphone

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

var toWire = strings.NewReplacer("=", "-", "+", "_", "/", ".")

// EncodeXOR obfuscates plain the way the WebPhone does: each byte i of the
// text is XOR'ed with key[i % len(key)] and reduced modulo 128, the result
// is Base64-encoded (standard alphabet, padded) and then '=' becomes '-',
// '+' becomes '_' and '/' becomes '.'. The modulo makes the scheme lossy for
// bytes ≥ 128, exactly as in Mizu's implementation. An empty key means no
// XOR and no modulo (Base64 only). wire.DecodeXOR is its inverse.
func EncodeXOR(plain, key string) string {
	buf := []byte(plain)
	if key != "" {
		for i := range buf {
			buf[i] = (buf[i] ^ key[i%len(key)]) % 128
		}
	}
	return toWire.Replace(base64.StdEncoding.EncodeToString(buf))
}

// AuthMD5v3 computes the nonce formula of authmd5 a client sends after
// preauth, with its "authv3_" prefix.
func AuthMD5v3(authID, pwd, serverSalt, salt1, salt2, nonce string) string {
	return "authv3_" + md5Hex(md5Hex("tU29m"+authID+pwd+salt1)+salt2+serverSalt+nonce)
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// EncodeURIComponent is JavaScript's encodeURIComponent: every byte but
// A-Z a-z 0-9 - _ . ! ~ * ' ( ) becomes %XX (UTF-8 bytes, upper-case hex).
func EncodeURIComponent(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// Query builds a request query the way the WebPhone substitutes values
// into its URL templates: name=encodeURIComponent(value) joined by '&'.
func Query(pairs ...string) string {
	parts := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+"="+EncodeURIComponent(pairs[i+1]))
	}
	return strings.Join(parts, "&")
}

// MCRFS is what the WebPhone sends in place of a GET's query (the value of
// ?mcrfs=): it re-serialises the query it built (its values already
// URL-encoded once, see Query) as name=encodeURIComponent(value) over the
// encoded values, so that substituted values are encoded twice ("ann+1"
// travels as "ann%252B1"), and obfuscates that text with EncodeXOR.
func MCRFS(query, key string) string {
	parts := strings.Split(query, "&")
	for i, p := range parts {
		name, value, _ := strings.Cut(p, "=")
		parts[i] = name + "=" + EncodeURIComponent(value)
	}
	return EncodeXOR(strings.Join(parts, "&"), key)
}
