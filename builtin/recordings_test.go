package builtin_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
)

func TestVoiceRecDownload(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		base := t.TempDir()
		dir := filepath.Join(base, "rec")
		write := func(rel, data string) {
			p := filepath.Join(dir, rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("2024/a.mp3", "MP3-A")
		write("2024/a.wav", "WAV-A")
		write("b.mp3", "MP3-B")
		os.WriteFile(filepath.Join(base, "secret.mp3"), []byte("SECRET"), 0o644)
		os.Symlink(filepath.Join(base, "secret.mp3"), filepath.Join(dir, "link.mp3"))

		v := newEnv(t, map[string]string{"recordingsfolder": dir, "recordingmaxbytes": "1000"})
		v.user("root", engine.TypeAdmin, 0)
		al := v.user("alma", 0, 0)
		bo := v.user("boris", 0, 0)
		now := time.Now().UTC()
		cdr := func(user int64, callid, file string, ago time.Duration) string {
			var id int64
			if err := v.db.QueryRowx(v.db.Dialect.ReturningID(`INSERT INTO tb_cdrs (datum, callerid, caller, called, duration, sipcallid, recordingfile)
 VALUES (?, ?, 'x', '123', 10, ?, ?)`), now.Add(-ago), user, callid, file).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return strconv.FormatInt(id, 10)
		}
		a := cdr(al, "call-a", "2024/a", time.Hour)
		b := cdr(al, "call-b", "b", 2*time.Hour)
		esc := cdr(al, "call-esc", "../secret", 3*time.Hour)
		lnk := cdr(al, "call-link", "link", 4*time.Hour)
		cdr(al, "call-none", "", 5*time.Hour)
		old := cdr(al, "call-old", "b", 60*24*time.Hour)
		cdr(bo, "call-boris", "b", time.Hour)

		res := v.as("alma", "voicerecdownload", "callid", "call-a", "maxrecords", "1", "now", "1")
		wantOK(t, res, "OK: voice recording cdr"+a+".mp3 (5 bytes)")
		if res.File == nil || string(res.File.Data) != "MP3-A" || res.File.ContentType != "audio/mpeg" {
			t.Fatalf("file %+v", res.File)
		}
		res = v.as("alma", "voicerecdownload", "cdrid", a, "format", "2")
		if res.File == nil || string(res.File.Data) != "WAV-A" || res.File.ContentType != "audio/wav" {
			t.Fatalf("format 2: %q %+v", res.Text, res.File)
		}
		// The reference's second example: cdrid with empty filters and days.
		res = v.as("alma", "voicerecdownload", "cdrid", b, "userid", "", "parentuserid", "", "maxrecords", "1", "days", "lastmonth", "format", "1", "fromdt", "", "todt", "", "caller", "", "called", "")
		if res.File == nil || string(res.File.Data) != "MP3-B" {
			t.Fatalf("reference example 2: %q", res.Text)
		}
		// Format 3: a zip of every matching mp3 (missing files are skipped).
		res = v.as("alma", "voicerecdownload", "days", "lastmonth", "format", "3", "maxrecords", "10")
		wantOK(t, res, "OK: voice recordings recordingsmp3.zip (2 files")
		zr, err := zip.NewReader(bytes.NewReader(res.File.Data), int64(len(res.File.Data)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			names = append(names, f.Name+"="+string(data))
		}
		sort.Strings(names)
		if got := strings.Join(names, ","); got != "cdr"+a+".mp3=MP3-A,cdr"+b+".mp3=MP3-B" {
			t.Fatalf("zip holds %s", got)
		}
		res = v.as("alma", "voicerecdownload", "cdrid", a, "format", "4")
		if res.File == nil || res.File.ContentType != "application/zip" {
			t.Fatalf("format 4: %q", res.Text)
		}
		for _, tc := range []struct {
			name, user, want string
			kv               []string
		}{
			{"path leaving the folder", "alma", "is not in the recordings folder", []string{"cdrid", esc}},
			{"symlink leaving the folder", "alma", "is not in the recordings folder", []string{"cdrid", lnk}},
			{"no wav file", "alma", "has no .wav file (try format=1)", []string{"cdrid", b, "format", "2"}},
			{"another user's call", "boris", "no recording matches", []string{"cdrid", a}},
			{"userid of someone else", "boris", "may name only you", []string{"userid", strconv.FormatInt(al, 10)}},
			{"older than days", "alma", "no recording matches", []string{"cdrid", old, "days", "lastmonth"}},
			{"several for a single file", "alma", "use format=3 or 4", []string{"maxrecords", "5"}},
			{"bad format", "alma", "bad format", []string{"format", "5"}},
			{"bad maxrecords", "alma", "bad maxrecords", []string{"maxrecords", "1000"}},
			{"bad days", "alma", "bad days", []string{"days", "soon"}},
		} {
			t.Run(tc.name, func(t *testing.T) { wantErr(t, v.as(tc.user, "voicerecdownload", tc.kv...), tc.want) })
		}
		// Admins reach every call, by callid as in the reference's first example.
		res = v.as("root", "voicerecdownload", "callid", "call-boris", "maxrecords", "1")
		if res.File == nil || string(res.File.Data) != "MP3-B" {
			t.Fatalf("admin download: %q", res.Text)
		}
		res = v.as("root", "voicerecdownload", "userid", strconv.FormatInt(al, 10), "maxrecords", "1")
		wantOK(t, res, "OK: voice recording cdr"+a+".mp3")
		// Size limit.
		write("big.mp3", strings.Repeat("x", 2000))
		big := cdr(al, "call-big", "big", time.Minute)
		wantErr(t, v.as("alma", "voicerecdownload", "cdrid", big), "larger than recordingmaxbytes")

		v2 := newEnv(t, nil)
		v2.user("alma", 0, 0)
		wantErr(t, v2.as("alma", "voicerecdownload", "cdrid", "1"), "no recordings folder configured")
	})
}
