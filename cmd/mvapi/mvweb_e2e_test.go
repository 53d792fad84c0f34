package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// /mvweb/ serves the file storage folder's files safely: content types,
// ETag and Last-Modified, Range; no listing, nothing outside the folder.
func TestMVWebStaticFiles(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	os.MkdirAll(filepath.Join(store, "sub"), 0o755)
	os.MkdirAll(filepath.Join(store, "empty"), 0o755)
	os.WriteFile(filepath.Join(store, "hello.txt"), []byte("hello mvweb"), 0o644)
	os.WriteFile(filepath.Join(store, "sub", "index.html"), []byte("<p>index</p>"), 0o644)
	os.WriteFile(filepath.Join(store, ".secret"), []byte("no"), 0o644)
	os.WriteFile(filepath.Join(dir, "outside.txt"), []byte("outside"), 0o644)
	os.Symlink(filepath.Join(dir, "outside.txt"), filepath.Join(store, "link.txt"))
	s := startServer(t, "", map[string]string{"filestoragedir": store})

	do := func(method, path string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, s.base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	read := func(resp *http.Response) string {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	resp := do("GET", "/mvweb/hello.txt")
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if body := read(resp); resp.StatusCode != 200 || body != "hello mvweb" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || etag == "" || lastMod == "" {
		t.Fatalf("GET: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp := do("GET", "/mvweb/hello.txt", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	if resp := do("GET", "/mvweb/hello.txt", "If-Modified-Since", lastMod); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-Modified-Since: %d", resp.StatusCode)
	}
	resp = do("GET", "/mvweb/hello.txt", "Range", "bytes=6-")
	if body := read(resp); resp.StatusCode != http.StatusPartialContent || body != "mvweb" {
		t.Fatalf("Range: %d %q", resp.StatusCode, body)
	}
	resp = do("GET", "/mvweb/sub/")
	if body := read(resp); resp.StatusCode != 200 || body != "<p>index</p>" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("index.html: %d %q", resp.StatusCode, body)
	}
	if resp := do("HEAD", "/mvweb/hello.txt"); resp.StatusCode != 200 || read(resp) != "" {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
	for _, p := range []string{"/mvweb/", "/mvweb", "/mvweb/empty", "/mvweb/.secret", "/mvweb/../outside.txt",
		"/mvweb/%2e%2e/outside.txt", "/mvweb/sub/../../outside.txt", "/mvweb/link.txt", "/mvweb/nothere", "/mvweb/..%5coutside.txt"} {
		resp := do("GET", p)
		if body := read(resp); resp.StatusCode == 200 || strings.Contains(body, "outside") || strings.Contains(body, "hello.txt") {
			t.Errorf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
	if resp := do("POST", "/mvweb/hello.txt"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}

	off := startServer(t, "", map[string]string{"filestoragedir": store, "mvweb": "0"})
	resp, err := http.Get(off.base + "/mvweb/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	if read(resp); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("mvweb=0: %d", resp.StatusCode)
	}
}
