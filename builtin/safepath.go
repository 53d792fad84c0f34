package builtin

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// Files of the admin API live in folders of global config (serverdir,
// filestoragedir, backupdir). A client names a file by a relative path;
// two walls keep it inside its folder:
//
//  1. cleanRelPath refuses any name that could mean something else on some
//     system: absolute paths, "..", "." and hidden components, backslashes,
//     drive letters and colons, percent signs (an encoded form is refused,
//     never decoded), control characters, over-long names and deep paths.
//  2. Every open goes through os.Root, which refuses a path that leaves the
//     folder by any means, symbolic links included.

const (
	maxPathBytes = 255
	maxPathDepth = 8
	maxPartBytes = 128
)

// errBadPath is the client's answer for any refused name.
var errBadPath = errors.New("bad filename: use a relative path of plain names inside the folder (no .., no absolute path, no backslash, no % or :)")

// cleanRelPath checks a client's file name and returns it as a slash
// separated relative path, or errBadPath.
func cleanRelPath(name string) (string, error) {
	if name == "" || len(name) > maxPathBytes || !utf8.ValidString(name) {
		return "", errBadPath
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '\\' || r == ':' || r == '%' || r == '*' || r == '?' ||
			r == '"' || r == '<' || r == '>' || r == '|' || r == 0xfffd {
			return "", errBadPath
		}
	}
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "~") {
		return "", errBadPath
	}
	parts := strings.Split(name, "/")
	if len(parts) > maxPathDepth {
		return "", errBadPath
	}
	for _, p := range parts {
		if p == "" || strings.HasPrefix(p, ".") || len(p) > maxPartBytes ||
			strings.HasSuffix(p, " ") || strings.HasSuffix(p, ".") || strings.TrimSpace(p) == "" {
			return "", errBadPath
		}
	}
	if path.Clean(name) != name {
		return "", errBadPath
	}
	return name, nil
}

// openFolder opens the folder of a global config option as an os.Root;
// create makes it first when it does not exist.
func openFolder(dir string, create bool) (*os.Root, error) {
	dir = strings.TrimSpace(dir)
	if dir == "" {
		return nil, errors.New("no folder configured")
	}
	if create {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
	}
	return os.OpenRoot(dir)
}

// readInRoot reads a regular file of at most max bytes.
func readInRoot(root *os.Root, name string, max int64) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	if st.Size() > max {
		return nil, errTooBig
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooBig
	}
	return b, nil
}

// errTooBig is returned for a file over the size limit.
var errTooBig = errors.New("file larger than maxfilebytes")

// writeInRoot writes data to name atomically: a hidden temporary file in
// the same folder (a name clients cannot send), synced, then renamed over
// name. Missing parent folders are created inside the root.
func writeInRoot(root *os.Root, name string, data []byte, perm os.FileMode) error {
	dir := path.Dir(name)
	if dir != "." {
		if err := root.MkdirAll(dir, 0o750); err != nil {
			return err
		}
	}
	if st, err := root.Lstat(name); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file", name)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	tmp := path.Join(dir, ".mvapi-tmp-"+hex.EncodeToString(b))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = root.Rename(tmp, name)
	}
	if werr != nil {
		root.Remove(tmp)
	}
	return werr
}
