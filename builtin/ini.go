package builtin

import (
	"fmt"
	"regexp"
	"strings"
)

// iniFile is an ini file kept as its lines, so that a change touches one
// line and leaves comments, order and other sections as they were.
type iniFile struct{ lines []string }

var (
	iniSectionRE = regexp.MustCompile(`^[A-Za-z0-9_.\- ]{1,64}$`)
	iniKeyRE     = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,128}$`)
)

// maxIniValue is the longest value setini writes.
const maxIniValue = 4096

func checkIniName(section, key string, needKey bool) error {
	if !iniSectionRE.MatchString(section) || strings.TrimSpace(section) != section {
		return fmt.Errorf("bad section %q: letters, digits, _ . - and spaces inside, at most 64", clipText(section, 40))
	}
	if (needKey || key != "") && !iniKeyRE.MatchString(key) {
		return fmt.Errorf("bad key %q: letters, digits, _ . -, at most 128", clipText(key, 40))
	}
	return nil
}

func checkIniValue(v string) error {
	if strings.ContainsAny(v, "\r\n\x00") || len(v) > maxIniValue {
		return fmt.Errorf("bad value: one line of at most %d bytes", maxIniValue)
	}
	return nil
}

func parseIni(b []byte) *iniFile {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return &iniFile{}
	}
	return &iniFile{lines: strings.Split(s, "\n")}
}

func (f *iniFile) bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

// header returns the section a line opens, if it is a section header.
func header(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if len(t) >= 2 && t[0] == '[' && t[len(t)-1] == ']' {
		return strings.TrimSpace(t[1 : len(t)-1]), true
	}
	return "", false
}

// pair returns the key and value of a key=value line.
func pair(line string) (string, string, bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] == ';' || t[0] == '#' {
		return "", "", false
	}
	k, v, ok := strings.Cut(t, "=")
	if !ok {
		return "", "", false
	}
	return strings.TrimSpace(k), strings.TrimSpace(v), true
}

// section returns the line range [start, end) of a section's body;
// start is -1 when the section does not exist.
func (f *iniFile) section(name string) (start, end int) {
	start = -1
	for i, l := range f.lines {
		h, ok := header(l)
		if !ok {
			continue
		}
		if start >= 0 {
			return start, i
		}
		if strings.EqualFold(h, name) {
			start = i + 1
		}
	}
	return start, len(f.lines)
}

// keys lists a section's key=value pairs in file order.
func (f *iniFile) keys(sec string) ([][2]string, bool) {
	start, end := f.section(sec)
	if start < 0 {
		return nil, false
	}
	var out [][2]string
	for _, l := range f.lines[start:end] {
		if k, v, ok := pair(l); ok {
			out = append(out, [2]string{k, v})
		}
	}
	return out, true
}

func (f *iniFile) get(sec, key string) (string, bool) {
	kv, _ := f.keys(sec)
	for _, p := range kv {
		if strings.EqualFold(p[0], key) {
			return p[1], true
		}
	}
	return "", false
}

// set changes the key's line in place, or appends it to the section,
// creating the section at the end of the file when needed.
func (f *iniFile) set(sec, key, value string) {
	start, end := f.section(sec)
	if start < 0 {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1]) != "" {
			f.lines = append(f.lines, "")
		}
		f.lines = append(f.lines, "["+sec+"]", key+"="+value)
		return
	}
	for i := start; i < end; i++ {
		if k, _, ok := pair(f.lines[i]); ok && strings.EqualFold(k, key) {
			f.lines[i] = k + "=" + value
			return
		}
	}
	at := end
	for at > start && strings.TrimSpace(f.lines[at-1]) == "" {
		at--
	}
	f.lines = append(f.lines[:at], append([]string{key + "=" + value}, f.lines[at:]...)...)
}

// replaceSection writes a section's body anew (kept where it was).
func (f *iniFile) replaceSection(sec string, kv [][2]string) {
	body := make([]string, 0, len(kv)+1)
	for _, p := range kv {
		body = append(body, p[0]+"="+p[1])
	}
	start, end := f.section(sec)
	if start < 0 {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1]) != "" {
			f.lines = append(f.lines, "")
		}
		f.lines = append(append(f.lines, "["+sec+"]"), body...)
		return
	}
	if end < len(f.lines) {
		body = append(body, "")
	}
	f.lines = append(f.lines[:start], append(body, f.lines[end:]...)...)
}
