package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/internal/webphone"
)

// The client-compatibility table (issue 12): each row sends exactly what
// the real client sends, built the way it builds it, and reads the answer
// the way it reads it.

// webphoneOK is the WebPhone's success test: the body starts with "ok"
// (any case) and contains none of its failure words.
func webphoneOK(body string) bool {
	l := strings.ToLower(strings.TrimSpace(body))
	return strings.HasPrefix(l, "ok") && !strings.Contains(l, "error") && !strings.Contains(l, "invalid") && !strings.Contains(l, "not found")
}

// webphoneConfRoom reads a getconfroom answer as the WebPhone does: the
// room is what follows the second colon (up to white space).
func webphoneConfRoom(t *testing.T, body string) string {
	t.Helper()
	if !webphoneOK(body) || strings.ContainsAny(strings.TrimRight(body, "\r\n"), "\r\n") {
		t.Fatalf("getconfroom answer %q: not one OK line", body)
	}
	parts := strings.SplitN(body, ":", 3)
	if len(parts) < 3 || strings.TrimSpace(strings.ToLower(parts[1])) != "conferenceroom" {
		t.Fatalf("getconfroom answer %q: want OK: conferenceroom: ROOM", body)
	}
	f := strings.Fields(parts[2])
	if len(f) == 0 {
		t.Fatalf("getconfroom answer %q: no room", body)
	}
	return f[0]
}

// webphonePresence reads an "OK: puserlist: u1:s1,u2:s2" answer into a map
// the way the WebPhone splits it.
func webphonePresence(t *testing.T, body string) map[string]string {
	t.Helper()
	_, list, ok := strings.Cut(body, "puserlist:")
	if !webphoneOK(body) || !ok {
		t.Fatalf("presence answer %q: want OK: puserlist: ...", body)
	}
	out := map[string]string{}
	for _, item := range strings.Split(strings.TrimSpace(list), ",") {
		name, st, ok := strings.Cut(item, ":")
		if !ok {
			t.Fatalf("presence item %q of %q", item, body)
		}
		out[name] = st
	}
	return out
}

func TestClientCompatibilityTable(t *testing.T) { mvtest.ForEachDB(t, testClientCompatibilityTable) }

func testClientCompatibilityTable(t *testing.T, dsn string) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rec1.mp3"), []byte("ID3-audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dsn, map[string]string{"allowtrustedip": "0", "enablejsonp": "2", "recordingsfolder": dir, "confroomprefix": "91"})
	s.user("webuser", "webpass1", engine.TypeEndUser, 12.5)
	ann := s.user("ann+1", "p%w&ö+x~", engine.TypeEndUser, 3)
	u2 := s.user("2222", "pw2222xx", engine.TypeEndUser, 0)
	s.user("3333", "pw3333xx", engine.TypeEndUser, 0)
	s.exec("UPDATE tb_users SET status = 1, statusdate = ? WHERE id = ?", time.Now().UTC(), u2)
	s.exec("INSERT INTO tb_rates (prefix, destination, price, currency) VALUES ('3611', 'Hungary-fixed', 0.03, 'EUR')")
	s.exec("INSERT INTO tb_cdrs (datum, callerid, caller, called, sipcallid, recordingfile) VALUES (?, ?, 'ann+1', '123', 'sip-1', 'rec1')", time.Now().UTC(), ann)
	wsURL := "wss://voip.example/mvstwebsock/mvapireq/?"

	t.Run("getconfroom one line", func(t *testing.T) {
		c := dialWS(t, s.base, "api")
		q := webphoneQuery("getconfroom", s.key, "webuser", "webpass1", "")
		room := webphoneConfRoom(t, wsRoundTrip(t, c, wsURL+q+"\r\n"))
		if !strings.HasPrefix(room, "91") || len(room) != 8 {
			t.Fatalf("room %q", room)
		}
		if again := webphoneConfRoom(t, wsRoundTrip(t, c, wsURL+q+"\r\n")); again != room {
			t.Fatalf("second getconfroom %q, first %q", again, room)
		}
	})

	t.Run("verifyuser userlist at the root path", func(t *testing.T) {
		_, body := s.getRaw("/?" + webphoneQuery("verifyuser", s.key, "webuser", "webpass1", "", "userlist", "2222,3333"))
		if strings.TrimSpace(body) != "OK: puserlist: 2222:2,3333:1" {
			t.Fatalf("verifyuser %q", body)
		}
		got := webphonePresence(t, body)
		if got["2222"] != "2" || got["3333"] != "1" {
			t.Fatalf("verifyuser list %v", got)
		}
	})

	t.Run("presence_get leaves offline messages to presence_set", func(t *testing.T) {
		c := dialWS(t, s.base, "api")
		send := webphoneQuery("sendim", s.key, "2222", "pw2222xx", "", "bnum", "webuser", "txt", "hi there")
		if a := wsRoundTrip(t, c, wsURL+send+"\r\n"); !webphoneOK(a) {
			t.Fatalf("sendim %q", a)
		}
		get := webphoneQuery("presence_get", s.key, "webuser", "webpass1", "", "userlist", "2222,3333", "ptype", "1")
		for range 2 {
			a := wsRoundTrip(t, c, wsURL+get+"\r\n")
			got := webphonePresence(t, a)
			if got["2222"] != "online" || got["3333"] != "offline" || strings.Contains(a, "XOFFMESSAGE") {
				t.Fatalf("presence_get %q", a)
			}
		}
		set := webphoneQuery("presence_set", s.key, "webuser", "webpass1", "", "pstatus", "online", "ptype", "1")
		a := wsRoundTrip(t, c, wsURL+set+"\r\n")
		// The WebPhone splits the presence_set answer on XOFFMESSAGE:
		// each piece is fromuser:text.
		pieces := strings.Split(a, "XOFFMESSAGE:")
		if !webphoneOK(a) || len(pieces) < 2 || pieces[1] != "2222:hi there" {
			t.Fatalf("presence_set %q, want the offline message", a)
		}
	})

	t.Run("jppget plain JSON for an XHR, padded for a script tag", func(t *testing.T) {
		target := "https://voip.example/mvapireq/?" + webphoneQuery("balance", s.key, "webuser", "webpass1", "")
		path := s.base + "/mvapireq/jppget?url=" + url.QueryEscape(target) + "&callback=cbf"
		// jQuery getJSON without "=?": an XHR that parses JSON.
		req, _ := http.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "application/json, text/javascript, */*; q=0.01")
		req.Header.Set("Origin", "https://portal.example")
		body, ctype := fetch(t, req)
		var doc struct{ Contents string }
		if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Contents != "Your credit is $12.5" || !strings.HasPrefix(ctype, "application/json") {
			t.Fatalf("XHR jppget %q (%s): %v", body, ctype, err)
		}
		// A real JSONP call (a script tag): padded.
		req, _ = http.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "*/*")
		req.Header.Set("Sec-Fetch-Dest", "script")
		body, _ = fetch(t, req)
		if body != `cbf({"contents":"Your credit is $12.5"});` {
			t.Fatalf("JSONP jppget %q", body)
		}
	})

	t.Run("mcrfs values encoded twice", func(t *testing.T) {
		q := webphoneQuery("balance", s.key, "ann+1", "p%w&ö+x~", "")
		_, body := s.getRaw("/mvapireq/?mcrfs=" + webphone.MCRFS(q, wire.DefaultXORKey))
		if body != "Your credit is $3" {
			t.Fatalf("balance of ann+1 over mcrfs: %q", body)
		}
		q = webphoneQuery("rating", s.key, "ann+1", "p%w&ö+x~", "", "bnum", "+3611111111")
		_, body = s.getRaw("/mvapireq/?mcrfs=" + webphone.MCRFS(q, wire.DefaultXORKey))
		if body != "0.03 EUR, Destination: Hungary-fixed" {
			t.Fatalf("rating +3611111111 over mcrfs: %q", body)
		}
		c := dialWS(t, s.base, "api")
		if a := wsRoundTrip(t, c, wsURL+"mcrfs="+webphone.MCRFS(q, wire.DefaultXORKey)+"\r\n"); a != "0.03 EUR, Destination: Hungary-fixed" {
			t.Fatalf("rating over WebSocket mcrfs: %q", a)
		}
	})

	t.Run("PHP voicerecdownload with format=text", func(t *testing.T) {
		v := url.Values{"apientry": {"voicerecdownload"}, "cdrid": {"1"}, "format": {"text"}}
		auth := s.md5Auth("ann+1", "p%w&ö+x~")
		for i := 0; i+1 < len(auth); i += 2 {
			v.Set(auth[i], auth[i+1])
		}
		var id string
		if err := s.m.DB.QueryRowx("SELECT id FROM tb_cdrs WHERE sipcallid = 'sip-1'").Scan(&id); err != nil {
			t.Fatal(err)
		}
		v.Set("cdrid", id)
		req, _ := http.NewRequest("GET", s.base+"/mvapireq/?"+v.Encode(), nil)
		body, ctype := fetch(t, req)
		if body != "ID3-audio" || ctype != "audio/mpeg" {
			t.Fatalf("download with format=text: %q (%s)", body, ctype)
		}
		v.Set("format", "2") // wave: no such file, an ERROR answer
		_, text := s.getRaw("/mvapireq/?" + v.Encode())
		if ok, _ := phpParse(t, text); ok {
			t.Fatalf("format=2 without a .wav: %q", text)
		}
	})
}

func fetch(t *testing.T, req *http.Request) (body, ctype string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.Header.Get("Content-Type")
}
