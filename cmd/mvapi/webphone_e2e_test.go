package main

import (
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/internal/webphone"
)

// encodeURIComponent is JavaScript's: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is %XX.
func encodeURIComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// webphoneQuery builds a query the way lib_webphone.js does: camel-case
// names, authsalt (not authsalt1), the ck5Gp formula with apiv2md5salt,
// the unrelated now=415, and a fresh random 5-7 digit salt per request.
func webphoneQuery(entry, key, user, pwd, serverSalt string, extra ...string) string {
	salt := strconv.Itoa(10000 + rand.IntN(9990000))
	kv := []string{"apientry", entry, "authKey", key, "authId", user, "authsalt", salt,
		"authMd5", engine.AuthMD5(user, pwd, serverSalt, salt)}
	kv = append(kv, extra...)
	kv = append(kv, "now", "415")
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+"="+encodeURIComponent(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

// phpParse reads an answer as the public PHP client does: an XML body by
// its <code>/<text> children, otherwise by text prefix.
func phpParse(t *testing.T, body string) (ok bool, text string) {
	t.Helper()
	if strings.HasPrefix(strings.TrimSpace(body), "<") {
		var doc struct {
			Code int    `xml:"code"`
			Text string `xml:"text"`
		}
		if err := xml.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("xml answer %q: %v", body, err)
		}
		return doc.Code == 200, doc.Text
	}
	return !strings.HasPrefix(body, "ERROR"), body
}

func TestWebPhoneRequestsWork(t *testing.T) { mvtest.ForEachDB(t, testWebPhoneRequestsWork) }

func testWebPhoneRequestsWork(t *testing.T, dsn string) {
	// replayprotect=2: the WebPhone's fresh salt per request is never a replay.
	s := startServer(t, dsn, map[string]string{"allowtrustedip": "0", "apiv2md5salt": "Zq81", "replayprotect": "2"})
	s.user("webuser", "webpass1", engine.TypeEndUser, 12.5)
	s.exec("INSERT INTO tb_rates (prefix, destination, price, currency) VALUES ('38970', 'Macedonia-cellular', 0.2, 'EUR')")

	// Each request is built anew, with its own salt, as the WebPhone does.
	plainBalance := func() string { return webphoneQuery("balance", s.key, "webuser", "webpass1", "Zq81") }
	plainRating := func() string {
		return webphoneQuery("rating", s.key, "webuser", "webpass1", "Zq81", "bnum", "+389 70 123456")
	}
	cases := []struct {
		name string
		path func() string
		want string
	}{
		{"balance plain", func() string { return "/mvapireq/?" + plainBalance() }, "Your credit is $12.5"},
		{"balance at root path", func() string { return "/?" + plainBalance() }, "Your credit is $12.5"},
		{"balance mcrfs", func() string { return "/mvapireq/?mcrfs=" + webphone.EncodeXOR(plainBalance(), wire.DefaultXORKey) }, "Your credit is $12.5"},
		{"rating mcrfs", func() string { return "/mvapireq/?mcrfs=" + webphone.EncodeXOR(plainRating(), wire.DefaultXORKey) }, "0.2 EUR, Destination: Macedonia-cellular"},
		{"apitest1 mcrfs", func() string {
			return "/mvapireq/?mcrfs=" + webphone.EncodeXOR("apientry=apitest1&now=415", wire.DefaultXORKey)
		}, "OK: API test (127.0.0.1)"},
		{"oenc1_ value", func() string {
			return "/mvapireq/?" + webphoneQuery("rating", s.key, "webuser", "webpass1", "Zq81", "bnum", "oenc1_"+webphone.EncodeXOR("38970", wire.DefaultXORKey))
		}, "0.2 EUR, Destination: Macedonia-cellular"},
		{"xml answer", func() string { return "/mvapireq/?" + plainBalance() + "&format=xml" }, "Your credit is $12.5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, body := s.getRaw(tc.path())
			ok, text := phpParse(t, body)
			if !ok || text != tc.want {
				t.Fatalf("answer %q: ok=%v text=%q, want %q", body, ok, text, tc.want)
			}
			for _, bad := range []string{"error", "invalid", "not found"} {
				if strings.Contains(strings.ToLower(text), bad) {
					t.Fatalf("success %q contains %q: the WebPhone would take it as a failure", text, bad)
				}
			}
		})
	}
	// A wrong md5 is a failure for the PHP client in both shapes.
	bad := webphoneQuery("balance", s.key, "webuser", "wrong", "Zq81")
	for _, f := range []string{"", "&format=xml"} {
		_, body := s.getRaw("/mvapireq/?" + bad + f)
		if ok, _ := phpParse(t, body); ok {
			t.Fatalf("wrong password accepted: %q", body)
		}
	}
}
