package builtin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
)

// putfile/getfile keep files under the server folder (serverdir),
// pputfile/pgetfile under the file storage folder (filestoragedir). The
// data travels base64 encoded; a file is at most maxfilebytes. Paths are
// checked by cleanRelPath and opened through os.Root (safepath.go): a name
// that could leave the folder answers ERROR and touches nothing.

func registerAdminFiles(reg *engine.Registry) {
	for _, f := range []struct{ put, get, option, where string }{
		{"putfile", "getfile", "serverdir", "the server folder (serverdir)"},
		{"pputfile", "pgetfile", "filestoragedir", "the file storage folder (filestoragedir)"},
	} {
		reg.Add(engine.Builtin{
			Name: f.put, Access: engine.AdminAPI, Params: []string{"filename", "filedata"}, Handler: putFile(f.option),
			Doc: "Save a file under " + f.where + ": filename (a relative path), filedata (base64).",
		})
		reg.Add(engine.Builtin{
			Name: f.get, Access: engine.AdminAPI, Params: []string{"filename"}, Handler: getFile(f.option),
			Doc: "Load a file from under " + f.where + ": OK: followed by the base64 data.",
		})
	}
}

// maxFileBytes is the size limit of file entries (maxfilebytes).
func maxFileBytes(c *engine.Call) int64 {
	if n := c.Config.Int("maxfilebytes"); n > 0 {
		return int64(n)
	}
	return 4 << 20
}

// decodeFileData decodes base64 in any of its common forms. A '+' sent
// unencoded in a query string arrives as a space, so spaces count as '+';
// line breaks are ignored.
func decodeFileData(s string, max int64) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t':
			return -1
		case ' ':
			return '+'
		}
		return r
	}, s)
	if int64(len(s))/4*3 > max+3 {
		return nil, errTooBig
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if int64(len(b)) > max {
				return nil, errTooBig
			}
			return b, nil
		}
	}
	return nil, errors.New("bad filedata: not base64")
}

func putFile(option string) engine.Handler {
	return func(_ context.Context, c *engine.Call) (format.Result, error) {
		name, err := cleanRelPath(strings.TrimSpace(c.Param("filename")))
		if err != nil {
			return engine.Errorf("%v", err), nil
		}
		if !c.Req.Params.Has("filedata") {
			return engine.Errorf("missing parameter: filedata (the file's content, base64)"), nil
		}
		max := maxFileBytes(c)
		data, err := decodeFileData(c.Param("filedata"), max)
		if errors.Is(err, errTooBig) {
			return engine.Errorf("file too large: at most %d bytes (maxfilebytes)", max), nil
		}
		if err != nil {
			return engine.Errorf("%v", err), nil
		}
		root, err := openFolder(c.Config.Get(option), true)
		if err != nil {
			c.Engine.Logger().Error("putfile: folder", "option", option, "err", err)
			return engine.Errorf("%s: the folder cannot be opened (%s)", c.Entry.Name, option), nil
		}
		defer root.Close()
		if err := writeInRoot(root, name, data, 0o640); err != nil {
			c.Engine.Logger().Warn("putfile refused", "entry", c.Entry.Name, "file", name, "err", err)
			return engine.Errorf("%s: cannot write %s: %s", c.Entry.Name, name, pathReason(err)), nil
		}
		c.Engine.Logger().Info("file saved", "entry", c.Entry.Name, "file", name, "bytes", len(data))
		return engine.OK(fmt.Sprintf("saved %s (%d bytes)", name, len(data))), nil
	}
}

func getFile(option string) engine.Handler {
	return func(_ context.Context, c *engine.Call) (format.Result, error) {
		name, err := cleanRelPath(strings.TrimSpace(c.Param("filename")))
		if err != nil {
			return engine.Errorf("%v", err), nil
		}
		root, err := openFolder(c.Config.Get(option), false)
		if errors.Is(err, fs.ErrNotExist) {
			return engine.Failf(engine.KindNotFound, "file not found: %s", name), nil
		}
		if err != nil {
			c.Engine.Logger().Error("getfile: folder", "option", option, "err", err)
			return engine.Errorf("%s: the folder cannot be opened (%s)", c.Entry.Name, option), nil
		}
		defer root.Close()
		max := maxFileBytes(c)
		data, err := readInRoot(root, name, max)
		switch {
		case errors.Is(err, errTooBig):
			return engine.Errorf("file too large: at most %d bytes (maxfilebytes)", max), nil
		case errors.Is(err, fs.ErrNotExist):
			return engine.Failf(engine.KindNotFound, "file not found: %s", name), nil
		case err != nil:
			c.Engine.Logger().Warn("getfile refused", "entry", c.Entry.Name, "file", name, "err", err)
			return engine.Errorf("%s: cannot read %s: %s", c.Entry.Name, name, pathReason(err)), nil
		}
		return engine.OK(base64.StdEncoding.EncodeToString(data)), nil
	}
}

// pathReason says briefly why os.Root refused a path, without echoing the
// operating system's paths.
func pathReason(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "path escapes from parent"), strings.Contains(s, "escapes"):
		return "the path leaves the folder"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case strings.Contains(s, "not a regular file"), strings.Contains(s, "not a directory"), strings.Contains(s, "is a directory"):
		return "not a regular file"
	}
	return "refused"
}
