package main

import (
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

func TestNewUserEntries(t *testing.T) { mvtest.ForEachDB(t, testNewUserEntries) }

func testNewUserEntries(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	signup := func(kv ...string) string {
		_, body := s.get(append([]string{"apientry", "newuseru", "authkey", s.key}, kv...)...)
		return body
	}
	wantPrefix(t, signup("u_username", "olga", "u_password", "olgapass1", "u_email", "o@example.com", "u_currency", "eur", "deviceid", "dev-1"), "OK: user added: id=")
	wantPrefix(t, signup("u_username", "olga", "u_password", "otherpass"), "ERROR: username already exists: olga")
	wantPrefix(t, signup("u_username", "o", "u_password", "olgapass1"), "ERROR: invalid username")
	wantPrefix(t, signup("u_username", "pete", "u_password", "short"), "ERROR: invalid password")
	wantPrefix(t, signup("u_username", "pete"), "ERROR: missing parameter")
	// newuseru cannot grant credit or a type.
	wantPrefix(t, signup("u_username", "quinn", "u_password", "quinnpass", "credit", "100", "u_type", "4"), "OK: user added")
	_, body := s.get(append([]string{"apientry", "balance"}, s.md5Auth("quinn", "quinnpass")...)...)
	wantPrefix(t, body, "Your credit is $0")
	var typ int
	s.m.DB.Get(&typ, "SELECT type FROM tb_users WHERE username = 'quinn'")
	if typ != engine.TypeEndUser {
		t.Fatalf("newuseru made type %d", typ)
	}
	var cur, dev string
	s.m.DB.QueryRow("SELECT currency, deviceid FROM tb_users WHERE username = 'olga'").Scan(&cur, &dev)
	if cur != "EUR" || dev != "dev-1" {
		t.Fatalf("stored currency %q deviceid %q", cur, dev)
	}
	_, body = s.get(append([]string{"apientry", "balance"}, s.md5Auth("olga", "olgapass1")...)...)
	wantPrefix(t, body, "Your credit is €0")

	// newuseri: admin credentials from an allowed IP; loopback is not trusted
	// here, so allow it through apiv2ipauth.
	_, body = s.get(append([]string{"apientry", "newuseri", "u_username", "rita", "u_password", "ritapass1", "credit", "5"}, s.md5Auth("root", "adminpw1")...)...)
	wantPrefix(t, body, "ERROR: auth failed: ip not allowed")
	s2 := startServer(t, "", map[string]string{"allowtrustedip": "0", "apiv2ipauth": "127.0.0.1"})
	s2.user("root", "adminpw1", engine.TypeAdmin, 0)
	s2.user("sam", "sampass1", engine.TypeEndUser, 0)
	_, body = s2.get(append([]string{"apientry", "newuseri", "u_username", "rita", "u_password", "ritapass1", "credit", "5"}, s2.md5Auth("sam", "sampass1")...)...)
	wantPrefix(t, body, "ERROR: access denied")
	_, body = s2.get(append([]string{"apientry", "newuseri", "u_username", "rita", "u_password", "ritapass1", "credit", "5"}, s2.md5Auth("root", "adminpw1")...)...)
	wantPrefix(t, body, "OK: user added")
	_, body = s2.get(append([]string{"apientry", "newuseri", "u_username", "tom", "u_password", "tompass12", "credit", "lots"}, s2.md5Auth("root", "adminpw1")...)...)
	wantPrefix(t, body, "ERROR: invalid credit")
	_, body = s2.get(append([]string{"apientry", "balance"}, s2.md5Auth("rita", "ritapass1")...)...)
	wantPrefix(t, body, "Your credit is $5")
}

func TestStatusAndPostpaidBalance(t *testing.T) { mvtest.ForEachDB(t, testStatusAndPostpaidBalance) }

func testStatusAndPostpaidBalance(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	id := s.user("uma", "umapass1", engine.TypeEndUser, 1)
	status := func() string {
		_, body := s.get(append([]string{"apientry", "status"}, s.md5Auth("uma", "umapass1")...)...)
		return body
	}
	if got := status(); got != "OK: 1" {
		t.Fatalf("never registered: %q", got)
	}
	s.exec("UPDATE tb_users SET status = 3, statusdate = ? WHERE id = ?", time.Now().UTC(), id)
	if got := status(); got != "OK: 3" {
		t.Fatalf("calling: %q", got)
	}
	s.exec("UPDATE tb_users SET statusdate = ? WHERE id = ?", time.Now().UTC().Add(-24*time.Hour), id)
	if got := status(); got != "OK: 1" {
		t.Fatalf("stale registration: %q", got)
	}
	s.exec("UPDATE tb_users SET postpaid = 1 WHERE id = ?", id)
	_, body := s.get(append([]string{"apientry", "balance"}, s.md5Auth("uma", "umapass1")...)...)
	if body != "Postpaid" {
		t.Fatalf("postpaid balance %q", body)
	}
	_, body = s.get(append([]string{"apientry", "version"}, s.md5Auth("uma", "umapass1")...)...)
	if !strings.HasPrefix(body, "ERROR: access denied") {
		t.Fatalf("version for an enduser: %q", body)
	}
}

func TestLoginAliasesAndRestartEntries(t *testing.T) {
	s := startServer(t, "", map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1", "apiv2ipauth": "127.0.0.1"})
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.user("yuri", "yuripass1", engine.TypeEndUser, 0)
	_, body := s.get(append([]string{"apientry", "login"}, s.md5Auth("yuri", "yuripass1")...)...)
	wantPrefix(t, body, "OK: yuri (id 2)")
	_, body = s.get(append([]string{"apientry", "login"}, s.md5Auth("yuri", "wrong")...)...)
	wantPrefix(t, body, "ERROR: auth failed")
	for _, alias := range []string{"newuser", "adduser"} {
		_, body = s.get(append([]string{"apientry", alias, "u_username", "via" + alias, "u_password", "secret123"}, s.md5Auth("root", "adminpw1")...)...)
		wantPrefix(t, body, "OK: user added")
	}
	_, body = s.get(append([]string{"apientry", "restart"}, s.md5Auth("yuri", "yuripass1")...)...)
	wantPrefix(t, body, "ERROR: access denied")
	_, body = s.get(append([]string{"apientry", "restart", "what", "server"}, s.md5Auth("root", "adminpw1")...)...)
	wantPrefix(t, body, "ERROR: not supported: restart what=server")
	_, body = s.get(append([]string{"apientry", "restart"}, s.md5Auth("root", "adminpw1")...)...)
	wantPrefix(t, body, "OK: restarting gracefully")
	select {
	case reason := <-s.m.restart:
		if reason != "restart entry by root" {
			t.Fatalf("restart reason %q", reason)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the restart entry did not ask Main to restart")
	}
}
