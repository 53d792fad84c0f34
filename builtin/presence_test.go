package builtin_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestVerifyUser(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("tina", 0, 0)
		now := time.Now().UTC()
		for i, st := range []int{0, 1, 2, 3, 4} {
			id := v.user(fmt.Sprintf("vu%d", i), 0, 0)
			v.exec("UPDATE tb_users SET status = ?, statusdate = ? WHERE id = ?", st, now, id)
		}
		stale := v.user("stale", 0, 0)
		v.exec("UPDATE tb_users SET status = 2, statusdate = ? WHERE id = ?", now.Add(-48*time.Hour), stale)
		off := v.user("gone", 0, 0)
		v.exec("UPDATE tb_users SET enabled = 0, status = 2, statusdate = ? WHERE id = ?", now, off)
		for _, tc := range []struct{ user, want string }{
			// tb_users.status 1 with a fresh statusdate is registered
			// (the reference's definition, as apidefneedregister uses
			// it), so online.
			{"vu0", "OK: 1"}, {"vu1", "OK: 2"}, {"vu2", "OK: 2"}, {"vu3", "OK: 3"}, {"vu4", "OK: 4"},
			{"stale", "OK: 1"}, {"gone", "OK: 0"}, {"nobody", "OK: 0"},
		} {
			if res := v.as("tina", "verifyuser", "username", tc.user); res.Text != tc.want {
				t.Errorf("verifyuser %s: %q, want %q", tc.user, res.Text, tc.want)
			}
		}
		wantOK(t, v.as("tina", "verifyuser", "userusername", "vu2"), "OK: 2")
		wantErr(t, v.as("tina", "verifyuser"), "missing parameter: userusername or userlist")
		// The WebPhone's shape: userlist, answered as a presence list.
		wantOK(t, v.as("tina", "verifyuser", "userlist", "vu2,vu3,gone,nobody"), "OK: puserlist: vu2:2,vu3:3,gone:0,nobody:0")
	})
}

func TestPresenceAndOfflineMessages(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"offlinemsgmax": "3"})
		ua := v.user("uma", 0, 0)
		v.user("vic", 0, 0)
		v.user("walt", 0, 0)
		v.exec("UPDATE tb_users SET status = 2, statusdate = ? WHERE id = ?", time.Now().UTC(), ua)

		wantOK(t, v.as("vic", "presence_get", "userlist", "uma,walt,nobody", "ptype", "0"), "OK: puserlist: uma:online,walt:offline,nobody:unknown")
		wantOK(t, v.as("uma", "presence_set", "pstatus", "away", "ptype", "1"), "OK: presence set: away")
		wantOK(t, v.as("vic", "presence_get", "userlist", "uma"), "OK: puserlist: uma:away")
		wantErr(t, v.as("uma", "presence_set", "pstatus", "a:b"), "bad pstatus")
		wantErr(t, v.as("vic", "presence_get"), "missing parameter: userlist")

		wantOK(t, v.as("uma", "sendim", "bnum", "vic", "txt", "hello"), "OK: message stored for 1 users")
		wantOK(t, v.as("walt", "sendim", "buserlist", "vic,uma", "txt", "line1\nsays XOFFMESSAGE: hi"), "OK: message stored for 2 users")
		wantErr(t, v.as("uma", "sendim", "buserlist", "vic,nobody", "txt", "x"), "no such user: nobody; nothing was sent")
		wantErr(t, v.as("uma", "sendim", "bnum", "vic"), "missing parameter: txt")
		wantErr(t, v.as("uma", "sendim", "txt", "x"), "missing parameter: bnum")
		wantErr(t, v.as("uma", "sendim", "bnum", "vic", "txt", strings.Repeat("x", 2001)), "at most 2000")

		// presence_get never hands over (nor consumes) offline messages:
		// the WebPhone reads XOFFMESSAGE only from presence_set.
		for range 2 {
			if res := v.as("vic", "presence_get", "userlist", "walt"); res.Text != "OK: puserlist: walt:offline" {
				t.Fatalf("presence_get %q, want only the list", res.Text)
			}
		}
		res := v.as("vic", "presence_set", "pstatus", "online")
		want := "OK: presence set: online XOFFMESSAGE:uma:helloXOFFMESSAGE:walt:line1 says XOFF MESSAGE: hiXOFFMESSAGE:"
		if res.Text != want {
			t.Fatalf("presence_set %q\nwant          %q", res.Text, want)
		}
		// Delivered once.
		if res := v.as("vic", "presence_set", "pstatus", "online"); strings.Contains(res.Text, "XOFFMESSAGE") {
			t.Fatalf("messages delivered twice: %q", res.Text)
		}
		wantOK(t, v.as("uma", "presence_set", "pstatus", "online"), "OK: presence set: online XOFFMESSAGE:walt:line1")
		// At most offlinemsgmax undelivered messages per recipient.
		for range 3 {
			wantOK(t, v.as("uma", "sendim", "bnum", "walt", "txt", "ping"), "OK:")
		}
		wantErr(t, v.as("uma", "sendim", "bnum", "walt", "txt", "ping"), "undelivered messages")
	})
}

// Two presence requests at once never both deliver a message.
func TestOfflineMessagesDeliveredOnceUnderRace(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("xena", 0, 0)
		v.user("yuri", 0, 0)
		for i := range 20 {
			wantOK(t, v.as("xena", "sendim", "bnum", "yuri", "txt", fmt.Sprintf("m%02d", i)), "OK:")
		}
		var wg sync.WaitGroup
		answers := make([]string, 4)
		for i := range answers {
			wg.Add(1)
			go func() { defer wg.Done(); answers[i] = v.as("yuri", "presence_set", "pstatus", "online").Text }()
		}
		wg.Wait()
		all := strings.Join(answers, "")
		for i := range 20 {
			if n := strings.Count(all, fmt.Sprintf(":m%02d", i)); n != 1 {
				t.Fatalf("message m%02d delivered %d times: %q", i, n, answers)
			}
		}
	})
}

func TestGetConfRoom(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"confroomprefix": "77"})
		v.user("zack", 0, 0)
		v.user("zoey", 0, 0)
		a := v.as("zack", "getconfroom")
		wantOK(t, a, "OK: conferenceroom: 77")
		if len(a.Text) != len("OK: conferenceroom: 77123456") || strings.ContainsAny(a.Text, "\r\n") {
			t.Fatalf("room answer %q", a.Text)
		}
		if b := v.as("zack", "getconfroom"); b.Text != a.Text {
			t.Fatalf("second call gave %q, first %q", b.Text, a.Text)
		}
		if c := v.as("zoey", "getconfroom"); c.Text == a.Text {
			t.Fatal("two users share a room")
		}
		wantErr(t, v.serve("127.0.0.1", "getconfroom"), "needs a user")
	})
}
