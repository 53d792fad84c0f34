package builtin_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
)

func addNumbers(v *env, nums ...string) {
	for _, n := range nums {
		v.exec("INSERT INTO tb_phonenumbers (number) VALUES (?)", n)
	}
}

func TestPhoneNumberPool(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"numberlockexpiry": "600"})
		v.user("root", engine.TypeAdmin, 0)
		ann := v.user("anna", 0, 0)
		v.user("bert", 0, 0)
		addNumbers(v, "3456", "3457", "3458", "3459")
		v.exec("INSERT INTO tb_phonenumbers (number, enabled) VALUES ('3000', 0)")

		res := v.as("anna", "getphonenumber", "count", "3")
		wantOK(t, res, "OK: 3456,3457,3458")
		if got := strings.Join(column(t, res, "number"), ","); got != "3456,3457,3458" {
			t.Fatalf("number column %q", got)
		}
		wantOK(t, v.as("anna", "lockphonenumber", "num", "3456"), "OK: 3456 locked until ")
		wantOK(t, v.as("anna", "lockphonenumber", "num", "3456"), "OK: 3456 locked until ") // extending one's own lock
		wantErr(t, v.as("bert", "lockphonenumber", "num", "3456"), "number 3456 is not free")
		wantErr(t, v.as("bert", "lockphonenumber", "num", "3000"), "number 3000 is not free")
		wantErr(t, v.as("bert", "lockphonenumber", "num", "9999"), "number 9999 is not in the pool")
		wantOK(t, v.as("bert", "getphonenumber", "count", "50"), "OK: 3457,3458,3459")
		wantOK(t, v.as("bert", "lockphonenumber"), "OK: 3457 locked until ") // any free number
		wantErr(t, v.as("bert", "lockphonenumber", "num", "3458", "username", "anna"), "only admins")
		wantErr(t, v.as("bert", "getphonenumber", "count", "0"), "bad count")

		// An expired lock frees the number.
		v.exec("UPDATE tb_phonenumbers SET lockeduntil = ? WHERE number = '3456'", time.Now().UTC().Add(-time.Second))
		wantOK(t, v.as("bert", "getphonenumber", "count", "1"), "OK: 3456")
		wantOK(t, v.as("bert", "lockphonenumber", "num", "3456"), "OK: 3456 locked")

		// An admin assigns a number for good; it never expires.
		wantOK(t, v.as("root", "lockphonenumber", "num", "3458", "username", "anna"), "OK: 3458 assigned to anna")
		v.exec("UPDATE tb_phonenumbers SET lockedat = ? WHERE number = '3458'", time.Now().UTC().Add(-240*time.Hour))
		wantErr(t, v.as("bert", "lockphonenumber", "num", "3458"), "not free")
		if n := v.count("SELECT COUNT(*) FROM tb_phonenumbers WHERE number = '3458' AND userid = ? AND lockeduntil IS NULL", ann); n != 1 {
			t.Fatal("assignment not stored")
		}
		// A trusted web server reserves without a user (sign-up).
		wantOK(t, v.serve("127.0.0.1", "lockphonenumber", "num", "3459"), "OK: 3459 locked until ")
		wantErr(t, v.as("anna", "lockphonenumber"), "no free phone number")
		wantErr(t, v.as("anna", "getphonenumber"), "no free phone number in the pool")
	})
}

func TestPhoneNumberLockLimit(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("carla", 0, 0)
		for i := range 6 {
			addNumbers(v, fmt.Sprintf("40%02d", i))
		}
		for range 5 {
			wantOK(t, v.as("carla", "lockphonenumber"), "OK: ")
		}
		wantErr(t, v.as("carla", "lockphonenumber"), "you hold 5 numbers")
	})
}

// Two users race for the last free number: exactly one gets it. Repeated
// with fresh numbers to give the race many chances.
func TestPhoneNumberLastNumberRace(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		users := []string{"dave", "dina"}
		for _, u := range users {
			v.user(u, engine.TypeEndUser, 0)
		}
		for round := range 20 {
			num := fmt.Sprintf("5%03d", round)
			addNumbers(v, num)
			ask := []string{"num", num}
			if round%2 == 1 {
				ask = nil // "any free number" takes the same path through the pool
			}
			var wg sync.WaitGroup
			res := make([]format.Result, 2)
			start := make(chan struct{})
			for i, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res[i] = v.as(u, "lockphonenumber", ask...)
				}()
			}
			close(start)
			wg.Wait()
			if res[0].OK == res[1].OK {
				t.Fatalf("round %d: %q and %q, want exactly one success", round, res[0].Text, res[1].Text)
			}
			// Free the winner's lock for the next round (the limit is 5).
			v.exec("UPDATE tb_phonenumbers SET enabled = 0 WHERE number = ?", num)
			v.exec("UPDATE tb_phonenumbers SET userid = NULL WHERE number = ?", num)
		}
	})
}
