package builtin

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// voicerecdownload answers call recordings from the recordings folder.
// tb_cdrs.recordingfile names a recording relative to the folder, without
// extension; format picks the .mp3 or .wav file, or a zip of several. Paths
// are opened through os.Root, so no name (.., absolute, a symlink) can read
// outside the folder.

func registerRecordings(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "voicerecdownload", Access: engine.UserAPI,
		Params:  []string{"cdrid", "callid", "userid", "parentuserid", "maxrecords", "days", "format", "fromdt", "todt", "caller", "called"},
		Handler: voiceRecDownload,
		Doc:     "Download recordings matched by CDR filters: format 1 mp3, 2 wave, 3 mp3 zip, 4 wave zip.",
	})
}

const maxRecordings = 100

var recFormats = map[string]struct {
	ext string
	zip bool
}{"1": {".mp3", false}, "2": {".wav", false}, "3": {".mp3", true}, "4": {".wav", true}}

var contentTypes = map[string]string{".mp3": "audio/mpeg", ".wav": "audio/wav"}

type recording struct {
	ID     int64  `db:"id"`
	CallID string `db:"sipcallid"`
	File   string `db:"recordingfile"`
}

func voiceRecDownload(ctx context.Context, c *engine.Call) (format.Result, error) {
	folder := strings.TrimSpace(c.Config.Get("recordingsfolder"))
	if folder == "" {
		return engine.Errorf("voicerecdownload: no recordings folder configured (global config recordingsfolder)"), nil
	}
	fp := strings.TrimSpace(c.Param("format"))
	if fp == "" || format.Valid(strings.ToLower(fp)) {
		// format=text, xml, json ... names the answer format (the PHP
		// client always sends one): the default audio format applies.
		fp = "1"
	}
	rf, ok := recFormats[fp]
	if !ok {
		return engine.Errorf("bad format %q: 1 mp3, 2 wave, 3 mp3 zip, 4 wave zip", clipText(fp, 10)), nil
	}
	get := func(name string) string {
		switch name {
		case "maxcount":
			return firstParam(c, "maxrecords", "maxcount")
		case "by", "summary", "fields", "order", "type", "prefix":
			return "" // list filters of cdr only
		}
		return c.Param(name)
	}
	f, err := parseCDRFilter(get, time.Now(), 1)
	if err != nil {
		return engine.Errorf("%v", strings.Replace(err.Error(), "maxcount", "maxrecords", 1)), nil
	}
	if f.MaxCount > maxRecordings {
		return engine.Errorf("bad maxrecords: at most %d", maxRecordings), nil
	}
	var w cdrWhere
	all, res, ok := cdrScope(c, f, &w)
	if !ok {
		return res, nil
	}
	cdrConditions(f, all, &w)
	w.add("recordingfile <> ''")
	db := c.DB()
	d := db.Dialect
	var recs []recording
	err = db.SelectContext(ctx, &recs, recordingsSQL(d, &w, f.MaxCount), w.args...)
	if err != nil {
		return format.Result{}, err
	}
	if len(recs) == 0 {
		return engine.Errorf("no recording matches these filters"), nil
	}
	if !rf.zip && len(recs) > 1 {
		return engine.Errorf("%d recordings match: use format=3 or 4 for a zip, or maxrecords=1", len(recs)), nil
	}
	root, err := os.OpenRoot(folder)
	if err != nil {
		c.Engine.Logger().Error("voicerecdownload: recordings folder", "folder", folder, "err", err)
		return engine.Errorf("voicerecdownload: the recordings folder cannot be read; contact support"), nil
	}
	defer root.Close()
	limit := int64(c.Config.Int("recordingmaxbytes"))
	if !rf.zip {
		data, err := readRecording(root, recs[0].File+rf.ext, limit)
		if err != nil {
			return recordingError(c, recs[0], rf.ext, err)
		}
		name := "cdr" + strconv.FormatInt(recs[0].ID, 10) + rf.ext
		res := engine.OK("voice recording " + name + " (" + strconv.Itoa(len(data)) + " bytes)")
		res.File = &format.File{Name: name, ContentType: contentTypes[rf.ext], Data: data}
		return res, nil
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var added int
	for _, r := range recs {
		data, err := readRecording(root, r.File+rf.ext, limit-int64(buf.Len()))
		if errors.Is(err, fs.ErrNotExist) || isOutside(err) {
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				c.Engine.Logger().Warn("voicerecdownload: path outside the recordings folder skipped", "cdr", r.ID, "file", r.File)
			}
			continue
		}
		if err != nil {
			return recordingError(c, r, rf.ext, err)
		}
		zf, err := zw.Create("cdr" + strconv.FormatInt(r.ID, 10) + rf.ext)
		if err == nil {
			_, err = zf.Write(data)
		}
		if err != nil {
			return format.Result{}, err
		}
		added++
	}
	if err := zw.Close(); err != nil {
		return format.Result{}, err
	}
	if added == 0 {
		return engine.Errorf("the %d matching calls have no %s recording file", len(recs), rf.ext), nil
	}
	name := "recordings" + rf.ext[1:] + ".zip"
	res = engine.OK("voice recordings " + name + " (" + strconv.Itoa(added) + " files, " + strconv.Itoa(buf.Len()) + " bytes)")
	res.File = &format.File{Name: name, ContentType: "application/zip", Data: buf.Bytes()}
	return res, nil
}

var errTooLarge = errors.New("recording too large")

// readRecording reads rel below root: rel must be a local path (no .., not
// absolute) and the file at most limit bytes.
func readRecording(root *os.Root, rel string, limit int64) ([]byte, error) {
	rel = filepath.FromSlash(rel)
	if !filepath.IsLocal(rel) {
		return nil, fs.ErrPermission
	}
	f, err := root.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fs.ErrNotExist
	}
	if st.Size() > limit {
		return nil, errTooLarge
	}
	return io.ReadAll(io.LimitReader(f, limit+1))
}

func recordingError(c *engine.Call, r recording, ext string, err error) (format.Result, error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		alt := map[string]string{".mp3": "2", ".wav": "1"}[ext]
		return engine.Errorf("the recording of call %d has no %s file (try format=%s)", r.ID, ext, alt), nil
	case errors.Is(err, errTooLarge):
		return engine.Errorf("the recording is larger than recordingmaxbytes"), nil
	case isOutside(err):
		c.Engine.Logger().Warn("voicerecdownload: path outside the recordings folder refused", "cdr", r.ID, "file", r.File)
		return engine.Errorf("the recording of call %d is not in the recordings folder", r.ID), nil
	}
	return format.Result{}, err
}

// isOutside reports an error of a path that would leave the folder (a
// non-local name or a symlink out of it, refused by os.Root).
func isOutside(err error) bool {
	return err != nil && (errors.Is(err, fs.ErrPermission) || strings.Contains(err.Error(), "escapes"))
}

func recordingsSQL(d schema.Dialect, w *cdrWhere, max int) string {
	return d.Rebind("SELECT " + d.Top(max) + "id, sipcallid, recordingfile FROM tb_cdrs" + w.sql() +
		" ORDER BY datum DESC, id DESC" + d.Limit(max))
}
