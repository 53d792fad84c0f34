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
