package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The user API over real HTTP: a recording arrives as a download with its
// content type, a PIN recharge and a transfer answer in every format.
func TestUserAPIOverHTTP(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r1.mp3"), []byte("ID3-mp3-data"), 0o644); err != nil {
		t.Fatal(err)
	}
	sets := map[string]string{"allowtrustedip": "0", "httpstrictresponse": "1", "recordingsfolder": dir}
	s := startServer(t, "", sets)
	id := s.user("hugo", "hugopass1", 0, 2)
	s.user("iris", "irispass1", 0, 0)
	s.exec("INSERT INTO tb_cdrs (datum, callerid, caller, called, sipcallid, recordingfile) VALUES (?, ?, 'hugo', '123', 'sip-r1', 'r1')", time.Now().UTC(), id)
	s.exec("INSERT INTO tb_pins (pin, value) VALUES ('24682468', 3)")

	v := url.Values{"apientry": {"voicerecdownload"}, "callid": {"sip-r1"}, "maxrecords": {"1"}}
	auth := s.md5Auth("hugo", "hugopass1")
	for i := 0; i+1 < len(auth); i += 2 {
		v.Set(auth[i], auth[i+1])
	}
	resp, err := http.Get(s.base + "/mvapireq/?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ID3-mp3-data" || resp.Header.Get("Content-Type") != "audio/mpeg" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// A failed download is an ordinary ERROR answer with code 499.
	code, text := s.get(append([]string{"apientry", "voicerecdownload", "callid", "nope"}, auth...)...)
	if code != 499 || !strings.HasPrefix(text, "ERROR: no recording matches") {
		t.Fatalf("missing recording: %d %q", code, text)
	}
	_, text = s.get(append([]string{"apientry", "charge", "anum", "24682468", "now", ""}, auth...)...)
	wantPrefix(t, text, "OK: charged 3 USD; your credit is 5")
	_, text = s.get(append([]string{"apientry", "transfercredit", "username", "iris", "credit", "1.25", "format", "json"}, auth...)...)
	if !strings.Contains(text, `"code":200`) || !strings.Contains(text, "transferred 1.25 USD to iris; your credit is 3.75") {
		t.Fatalf("json transfer: %s", text)
	}
	_, text = s.get(append([]string{"apientry", "cdr", "days", "today", "format", "xml"}, auth...)...)
	if !strings.Contains(text, "<code>200</code><text>OK: 1 calls</text>") || !strings.Contains(text, "<rows>") || !strings.Contains(text, "hugo") {
		t.Fatalf("xml cdr: %s", text)
	}
}
