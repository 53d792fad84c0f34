package engine_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/internal/webphone"
	"mvapi/schema"
)

// Issue #10, item 9: replay. The attacks as written in the issue.

const untrusted = "203.0.113.9"

func replayFixture(t *testing.T, dsn string) (*schema.DB, string) {
	t.Helper()
	db := mvtest.MustOpen(t, dsn)
	mvtest.MustUser(t, db, engine.NewUser{Username: "1111", Password: "demo1111", Credit: 9.8, Currency: "USD"})
	mvtest.MustUser(t, db, engine.NewUser{Username: "admin", Password: "adminpw1", Type: engine.TypeAdmin})
	mvtest.MustExec(t, db, "INSERT INTO tb_rates (prefix, destination, price, currency) VALUES ('38970', 'Macedonia-cellular', 0.2, 'EUR')")
	return db, mvtest.APIKey(t, db)
}

// readmeRating is the README's example request: rating with authsalt=123
// and authmd5 = md5("ck5Gp" + authid + password + "" + "123").
func readmeRating(key, user, pwd string) []string {
	return []string{"apientry", "rating", "authkey", key, "authid", user, "authsalt", "123",
		"authmd5", engine.MD5Hex("ck5Gp" + user + pwd + "123"), "bnum", "38970123456"}
}

func TestReplayOfTheREADMEHashIsRefused(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db, key := replayFixture(t, dsn)
		e := mvtest.MustEngine(t, db, nil) // replayprotect 1: admins
		// The second identical admin request from an untrusted caller is refused.
		req := readmeRating(key, "admin", "adminpw1")
		if got := serve(e, untrusted, req...); got != "0.2 EUR, Destination: Macedonia-cellular" {
			t.Fatalf("first admin request: %q", got)
		}
		res := e.Serve(context.Background(), request(untrusted, req...))
		if res.Text != "ERROR: auth failed: authmd5 already used: send a new authsalt" || res.Kind != engine.KindAuth {
			t.Fatalf("replayed admin hash: %q kind %v", res.Text, res.Kind)
		}
		// An enduser's fixed salt keeps working under the default...
		end := readmeRating(key, "1111", "demo1111")
		for i := 0; i < 2; i++ {
			if got := serve(e, untrusted, end...); got != "0.2 EUR, Destination: Macedonia-cellular" {
				t.Fatalf("enduser request %d with replayprotect=1: %q", i, got)
			}
		}
		// ...and is refused with replayprotect=2, the README example itself.
		e2 := mvtest.MustEngine(t, db, map[string]string{"replayprotect": "2"})
		mvtest.MustExec(t, db, "DELETE FROM tb_authseen")
		if got := serve(e2, untrusted, end...); got != "0.2 EUR, Destination: Macedonia-cellular" {
			t.Fatalf("first enduser request: %q", got)
		}
		if got := serve(e2, untrusted, end...); !strings.HasPrefix(got, "ERROR: auth failed: authmd5 already used") {
			t.Fatalf("replayed README hash with replayprotect=2: %q", got)
		}
		// A fresh salt is a new hash.
		fresh := readmeRating(key, "1111", "demo1111")
		fresh[7], fresh[9] = "124", engine.MD5Hex("ck5Gp1111demo1111124")
		if got := serve(e2, untrusted, fresh...); got != "0.2 EUR, Destination: Macedonia-cellular" {
			t.Fatalf("fresh salt: %q", got)
		}
		// Past replaywindow the record no longer refuses (and is renewed once).
		mvtest.MustExec(t, db, "UPDATE tb_authseen SET expires = ?", time.Now().UTC().Add(-time.Minute))
		if got := serve(e2, untrusted, end...); got != "0.2 EUR, Destination: Macedonia-cellular" {
			t.Fatalf("after the window: %q", got)
		}
		if got := serve(e2, untrusted, end...); !strings.HasPrefix(got, "ERROR: auth failed: authmd5 already used") {
			t.Fatalf("replay after renewal: %q", got)
		}
		// replayprotect=0 is the old behaviour.
		e0 := mvtest.MustEngine(t, db, map[string]string{"replayprotect": "0"})
		for i := 0; i < 2; i++ {
			if got := serve(e0, untrusted, req...); got != "0.2 EUR, Destination: Macedonia-cellular" {
				t.Fatalf("replayprotect=0, request %d: %q", i, got)
			}
		}
	})
}

func TestReplayedAdminMD5CannotRunDB(t *testing.T) {
	db, key := replayFixture(t, mvtest.FreshDSN(t, "sqlite"))
	e := mvtest.MustEngine(t, db, nil)
	req := []string{"apientry", "db", "authkey", key, "authid", "admin", "authsalt", "8812",
		"authmd5", engine.AuthMD5("admin", "adminpw1", "", "8812"),
		"txt", "UPDATE tb_users SET credit = credit + 1 WHERE username = '1111'"}
	if got := serve(e, untrusted, req...); got != "OK: 1 rows affected" {
		t.Fatalf("first db: %q", got)
	}
	if got := serve(e, untrusted, req...); !strings.HasPrefix(got, "ERROR: auth failed: authmd5 already used") {
		t.Fatalf("replayed db: %q", got)
	}
	var credit float64
	if err := db.Get(&credit, "SELECT credit FROM tb_users WHERE username = '1111'"); err != nil {
		t.Fatal(err)
	}
	if credit != 10.8 {
		t.Fatalf("credit %v: the replay ran db", credit)
	}
}

func TestAdminEmptySaltIsRefused(t *testing.T) {
	db, key := replayFixture(t, mvtest.FreshDSN(t, "sqlite"))
	e := mvtest.MustEngine(t, db, nil)
	got := serve(e, untrusted, "apientry", "version", "authkey", key, "authid", "admin", "authmd5", engine.AuthMD5("admin", "adminpw1", "", ""))
	if got != "ERROR: auth failed: authmd5 needs an authsalt" {
		t.Fatalf("admin without salt: %q", got)
	}
	// An authsalt2 is not covered by a ck5Gp hash and does not count.
	got = serve(e, untrusted, "apientry", "version", "authkey", key, "authid", "admin", "authsalt2", "x", "authmd5", engine.AuthMD5("admin", "adminpw1", "", ""))
	if got != "ERROR: auth failed: authmd5 needs an authsalt" {
		t.Fatalf("admin with only authsalt2: %q", got)
	}
	// An enduser without salt is the reference's optional salt.
	got = serve(e, untrusted, "apientry", "balance", "authkey", key, "authid", "1111", "authmd5", engine.AuthMD5("1111", "demo1111", "", ""))
	if got != "Your credit is $9.8" {
		t.Fatalf("enduser without salt: %q", got)
	}
	e0 := mvtest.MustEngine(t, db, map[string]string{"replayprotect": "0"})
	got = serve(e0, untrusted, "apientry", "version", "authkey", key, "authid", "admin", "authmd5", engine.AuthMD5("admin", "adminpw1", "", ""))
	if !strings.HasPrefix(got, "OK: ") {
		t.Fatalf("replayprotect=0, admin without salt: %q", got)
	}
}

var nonceInAnswer = regexp.MustCompile(`new nonce is:([A-Za-z0-9]+)EOF`)

func TestNonceIsSingleUse(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db, key := replayFixture(t, dsn)
		e := mvtest.MustEngine(t, db, map[string]string{"apidefneedlogin": "2", "replayprotect": "0"})
		preauth := func() string {
			m := nonceInAnswer.FindStringSubmatch(serve(e, untrusted, "apientry", "preauth"))
			if m == nil {
				t.Fatal("no nonce from preauth")
			}
			return m[1]
		}
		nonce := preauth()
		req := []string{"apientry", "balance", "authkey", key, "authid", "1111", "authsalt1", "s1", "authsalt2", "s2",
			"authmd5", webphone.AuthMD5v3("1111", "demo1111", "", "s1", "s2", nonce), "nonce", nonce[:16]}
		if got := serve(e, untrusted, req...); got != "Your credit is $9.8" {
			t.Fatalf("first use: %q", got)
		}
		// The nonce used twice: the second request gets a new challenge.
		if got := serve(e, untrusted, req...); !strings.HasPrefix(got, "ERROR: new nonce is:") {
			t.Fatalf("nonce used twice: %q", got)
		}
		// Session nonces: a row with req_user_login=4 reuses one until it expires.
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, req_user_login) VALUES ('balance', 4)")
		if _, err := e.ReloadTable(context.Background()); err != nil {
			t.Fatal(err)
		}
		nonce = preauth()
		req = []string{"apientry", "balance", "authkey", key, "authid", "1111", "authsalt1", "s1", "authsalt2", "s2",
			"authmd5", webphone.AuthMD5v3("1111", "demo1111", "", "s1", "s2", nonce), "nonce", nonce[:16]}
		for i := 0; i < 2; i++ {
			if got := serve(e, untrusted, req...); got != "Your credit is $9.8" {
				t.Fatalf("session nonce, use %d: %q", i, got)
			}
		}
	})
}

// Concurrent copies of one request: the nonce and the hash are each
// accepted exactly once (the DELETE's and the INSERT's row counts decide).
func TestConcurrentReplaysAcceptOnce(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db, key := replayFixture(t, dsn)
		e := mvtest.MustEngine(t, db, map[string]string{"apidefneedlogin": "2", "authlockoutfailures": "0"})
		m := nonceInAnswer.FindStringSubmatch(serve(e, untrusted, "apientry", "preauth"))
		if m == nil {
			t.Fatal("no nonce")
		}
		nonce := m[1]
		req := []string{"apientry", "version", "authkey", key, "authid", "admin", "authsalt1", "s1", "authsalt2", "s2",
			"authmd5", webphone.AuthMD5v3("admin", "adminpw1", "", "s1", "s2", nonce), "nonce", nonce[:16]}
		const n = 8
		answers := make(chan string, n)
		for i := 0; i < n; i++ {
			go func() { answers <- serve(e, untrusted, req...) }()
		}
		ok := 0
		for i := 0; i < n; i++ {
			if a := <-answers; strings.HasPrefix(a, "OK: ") {
				ok++
			} else if !strings.HasPrefix(a, "ERROR: ") {
				t.Errorf("answer %q", a)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d copies accepted, want 1", ok, n)
		}
	})
}
