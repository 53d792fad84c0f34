package main

import (
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestReplayRefusedOnEveryNode (issue #10, item 9): the README's example
// request, made by an admin from an untrusted address, is accepted once;
// the same request to another node of the same database is refused, and a
// replayed admin hash does not run db there either.
func TestReplayRefusedOnEveryNode(t *testing.T) { mvtest.ForEachDB(t, testReplayRefusedOnEveryNode) }

func testReplayRefusedOnEveryNode(t *testing.T, dsn string) {
	sets := map[string]string{"allowtrustedip": "0", "authlockoutfailures": "0"}
	n1, n2 := startServer(t, dsn, sets), startServer(t, dsn, sets)
	n1.user("boss", "bosspass1", engine.TypeAdmin, 0)
	n1.exec("INSERT INTO tb_rates (prefix, destination, price, currency) VALUES ('38970', 'Macedonia-cellular', 0.2, 'EUR')")
	rating := []string{"apientry", "rating", "authkey", n1.key, "authid", "boss", "authsalt", "123",
		"authmd5", engine.MD5Hex("ck5Gpbossbosspass1123"), "bnum", "38970123456"}
	_, body := n1.get(rating...)
	wantPrefix(t, body, "0.2 EUR, Destination: Macedonia-cellular")
	_, body = n2.get(rating...)
	wantPrefix(t, body, "ERROR: auth failed: authmd5 already used")

	db := []string{"apientry", "db", "authkey", n1.key, "authid", "boss", "authsalt", "5150",
		"authmd5", engine.AuthMD5("boss", "bosspass1", "", "5150"), "txt", "UPDATE tb_users SET credit = credit + 1 WHERE username = 'boss'"}
	_, body = n2.get(db...)
	wantPrefix(t, body, "OK: 1 rows affected")
	_, body = n1.get(db...)
	wantPrefix(t, body, "ERROR: auth failed: authmd5 already used")
	var credit float64
	if err := n1.m.DB.Get(&credit, "SELECT credit FROM tb_users WHERE username = 'boss'"); err != nil {
		t.Fatal(err)
	}
	if credit != 1 {
		t.Fatalf("credit %v: the replayed db ran", credit)
	}
}
