package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/internal/webphone"
)

func TestBalanceWithAuthMD5BothFormulas(t *testing.T) {
	mvtest.ForEachDB(t, testBalanceWithAuthMD5BothFormulas)
}

func testBalanceWithAuthMD5BothFormulas(t *testing.T, dsn string) {
	s := startServer(t, dsn, map[string]string{"allowtrustedip": "0", "apiv2md5salt": "srvSalt"})
	s.user("alice", "secret77", engine.TypeEndUser, 9.8)

	simple := engine.AuthMD5("alice", "secret77", "srvSalt", "123456")
	_, body := s.get("apientry", "balance", "authkey", s.key, "authid", "alice", "authsalt1", "123456", "authmd5", simple)
	wantPrefix(t, body, "Your credit is $9.8")

	// Upper-case hex is accepted too.
	_, body = s.get("apientry", "balance", "authkey", s.key, "authid", "alice", "authsalt", "123456", "authmd5", strings.ToUpper(simple))
	wantPrefix(t, body, "Your credit is $9.8")

	v3 := webphone.AuthMD5v3("alice", "secret77", "srvSalt", "111", "222", "")
	_, body = s.get("apientry", "balance", "authkey", s.key, "authid", "alice", "authsalt1", "111", "authsalt2", "222", "authmd5", v3)
	wantPrefix(t, body, "Your credit is $9.8")

	_, body = s.get("apientry", "balance", "authkey", s.key, "authid", "alice", "authpwd", "secret77")
	wantPrefix(t, body, "Your credit is $9.8")
}

func TestFailuresAnswerError499(t *testing.T) { mvtest.ForEachDB(t, testFailuresAnswerError499) }

func testFailuresAnswerError499(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("alice", "secret77", engine.TypeEndUser, 1)
	id := s.user("bob", "secret88", engine.TypeEndUser, 1)
	s.exec("UPDATE tb_users SET temporarydisabled = 1 WHERE id = ?", id)

	cases := []struct {
		name   string
		kv     []string
		prefix string
	}{
		{"wrong md5", []string{"apientry", "balance", "authkey", s.key, "authid", "alice", "authsalt1", "1", "authmd5", engine.AuthMD5("alice", "nope", "", "1")}, "ERROR: auth failed: wrong user or password"},
		{"wrong password", []string{"apientry", "balance", "authkey", s.key, "authid", "alice", "authpwd", "nope"}, "ERROR: auth failed: wrong user or password"},
		{"unknown user", []string{"apientry", "balance", "authkey", s.key, "authid", "nobody", "authpwd", "nope"}, "ERROR: auth failed: wrong user or password"},
		{"wrong key", append([]string{"apientry", "balance"}, replaceKey(s.md5Auth("alice", "secret77"), "wrong")...), "ERROR: auth failed: wrong key"},
		{"no key", []string{"apientry", "balance", "authid", "alice", "authpwd", "secret77"}, "ERROR: auth failed: wrong key"},
		{"disabled user", append([]string{"apientry", "balance"}, s.md5Auth("bob", "secret88")...), "ERROR: auth failed: user disabled"},
		{"unknown entry", append([]string{"apientry", "nosuchentry"}, s.md5Auth("alice", "secret77")...), "ERROR: unknown apientry: nosuchentry"},
		{"missing parameter", append([]string{"apientry", "rating"}, s.md5Auth("alice", "secret77")...), "ERROR: missing parameter: bnum"},
		{"missing apientry", []string{"authid", "alice"}, "ERROR: missing apientry"},
		{"admin entry as enduser", append([]string{"apientry", "apireload"}, s.md5Auth("alice", "secret77")...), "ERROR: access denied"},
		{"admin entry without authid", []string{"apientry", "apireload", "authkey", s.key}, "ERROR: auth failed: missing authid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.get(tc.kv...)
			if status != 499 {
				t.Errorf("HTTP status %d, want 499", status)
			}
			wantPrefix(t, body, tc.prefix)
		})
	}
}

func replaceKey(kv []string, key string) []string {
	out := append([]string{}, kv...)
	for i := 0; i+1 < len(out); i += 2 {
		if out[i] == "authkey" {
			out[i+1] = key
		}
	}
	return out
}

func TestNotStrictAnswersHTTP200WithErrorBody(t *testing.T) {
	s := startServer(t, "", map[string]string{"allowtrustedip": "0"})
	status, body := s.get("apientry", "balance", "authkey", "wrong", "authid", "x", "authpwd", "y")
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200 with httpstrictresponse=0", status)
	}
	wantPrefix(t, body, "ERROR: auth failed: wrong key")
}

var nonceRE = regexp.MustCompile(`new nonce is:([A-Za-z0-9]+)EOF`)

func TestNonceLoginAcrossNodes(t *testing.T) { mvtest.ForEachDB(t, testNonceLoginAcrossNodes) }

func testNonceLoginAcrossNodes(t *testing.T, dsn string) {
	sets := map[string]string{"allowtrustedip": "0", "apidefneedlogin": "2"}
	node1 := startServer(t, dsn, sets)
	node2 := startServer(t, dsn, sets)
	node1.user("carol", "secret99", engine.TypeEndUser, 3)

	// Without a nonce the server hands one out in the error.
	_, body := node1.get("apientry", "balance", "authkey", node1.key, "authid", "carol", "authpwd", "secret99")
	wantPrefix(t, body, "ERROR: new nonce is:")
	if !nonceRE.MatchString(body) {
		t.Fatalf("no nonce in %q", body)
	}

	_, body = node1.get("apientry", "preauth")
	wantPrefix(t, body, "OK: new nonce is:")
	nonce := nonceRE.FindStringSubmatch(body)[1]

	auth := func(nonce, sent string) []string {
		sum := webphone.AuthMD5v3("carol", "secret99", "", "s1", "s2", nonce)
		return []string{"apientry", "balance", "authkey", node1.key, "authid", "carol", "authsalt1", "s1", "authsalt2", "s2", "authmd5", sum, "nonce", sent}
	}
	// The WebPhone sends the first 16 characters; node 2 accepts node 1's nonce.
	_, body = node2.get(auth(nonce, nonce[:16])...)
	wantPrefix(t, body, "Your credit is $3")
	// A nonce is single-use (issue #10): node 1 knows node 2 spent it.
	_, body = node1.get(auth(nonce, nonce[:16])...)
	wantPrefix(t, body, "ERROR: new nonce is:")
	_, body = node1.get("apientry", "preauth")
	nonce = nonceRE.FindStringSubmatch(body)[1]
	_, body = node1.get(auth(nonce, nonce[:10])...)
	wantPrefix(t, body, "Your credit is $3")
	_, body = node1.get("apientry", "preauth")
	nonce = nonceRE.FindStringSubmatch(body)[1]
	_, body = node1.get(auth(nonce, nonce[:9])...)
	wantPrefix(t, body, "ERROR: new nonce is:")
	_, body = node1.get(auth(nonce, "ZZZZZZZZZZZZ")...)
	wantPrefix(t, body, "ERROR: new nonce is:")
}

// TestNonceLoginNeedsTheNonceInTheHash: with nonce login required, a
// replayable ck5Gp hash or a clear password is refused even with a valid nonce.
func TestNonceLoginNeedsTheNonceInTheHash(t *testing.T) {
	s := startServer(t, "", map[string]string{"allowtrustedip": "0", "apidefneedlogin": "2"})
	s.user("ivy", "ivypass12", engine.TypeEndUser, 1)
	_, body := s.get("apientry", "preauth")
	nonce := nonceRE.FindStringSubmatch(body)[1]
	for _, kv := range [][]string{
		{"authsalt1", "7", "authmd5", engine.AuthMD5("ivy", "ivypass12", "", "7")},
		{"authpwd", "ivypass12"},
	} {
		_, body = s.get(append([]string{"apientry", "balance", "authkey", s.key, "authid", "ivy", "nonce", nonce[:16]}, kv...)...)
		wantPrefix(t, body, "ERROR: auth failed: nonce login needs authmd5 in the authv3_ form")
	}
	_, body = s.get("apientry", "balance", "authkey", s.key, "authid", "ivy", "nonce", nonce[:16],
		"authsalt1", "7", "authmd5", webphone.AuthMD5v3("ivy", "ivypass12", "", "7", "", nonce))
	wantPrefix(t, body, "Your credit is $1")
}
