package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"mvapi/engine"
)

// /mvweb/... is the reference's fast web service for static files: the
// files of the file storage folder (filestoragedir, where pputfile writes)
// answered as they are. The folder is opened as an os.Root, so no name (..,
// an absolute path, a symbolic link pointing out) can read outside it;
// directories are never listed (a directory with index.html answers that
// file); names with a segment starting with '.' are not served; GET and
// HEAD only. http.ServeContent gives the content type by extension, Range,
// Last-Modified and If-Modified-Since; an ETag of modification time and
// size makes If-None-Match work too. mvweb=0 turns it off (404).

// isMVWebPath reports whether an HTTP path belongs to the static files.
func isMVWebPath(p string) bool {
	return p == "/mvweb" || strings.HasPrefix(p, "/mvweb/")
}

func (h *HTTP) serveMVWeb(w http.ResponseWriter, r *http.Request, cfg *engine.Config) {
	if cfg.Int("mvweb") == 0 {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := mvwebName(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	folder := strings.TrimSpace(cfg.Get("filestoragedir"))
	if folder == "" {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(folder)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer root.Close()
	f, info, err := openStatic(root, name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			http.Error(w, "file not readable", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	hd := w.Header()
	hd.Set("ETag", fmt.Sprintf(`"%x-%x"`, info.ModTime().UnixNano(), info.Size()))
	hd["X-Content-Type-Options"] = noSniff
	corsHeaders(w, r)
	http.ServeContent(w, r, info.Name(), info.ModTime(), f)
}

// mvwebName is the file name under the folder for a /mvweb/ path: cleaned,
// relative, without segments starting with '.'; false when there is none.
func mvwebName(p string) (string, bool) {
	rest := strings.TrimPrefix(strings.TrimPrefix(p, "/mvweb"), "/")
	if rest == "" || strings.Contains(rest, "\\") || strings.ContainsRune(rest, 0) {
		return "", false
	}
	clean := path.Clean("/" + rest)[1:]
	if clean == "" {
		return "", false
	}
	for seg := range strings.SplitSeq(clean, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return clean, true
}

// openStatic opens a regular file in root (a directory's index.html in
// place of the directory).
func openStatic(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	for range 2 {
		f, err := root.Open(name)
		if err != nil {
			return nil, nil, err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		if info.Mode().IsRegular() {
			return f, info, nil
		}
		f.Close()
		if !info.IsDir() {
			return nil, nil, fs.ErrNotExist
		}
		name = path.Join(name, "index.html")
	}
	return nil, nil, fs.ErrNotExist
}
