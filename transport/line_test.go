package transport

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"mvapi/engine/wire"
	"mvapi/internal/webphone"
)

func TestLineQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"wss://h.example/mvstwebsock/mvapireq/?apientry=balance&authkey=K\r\n", "apientry=balance&authkey=K"},
		{"ws://127.0.0.1:8080/mvstwebsock/mvapireq?apientry=x", "apientry=x"},
		{"/mvapireq/?apientry=apitest1", "apientry=apitest1"},
		{"https://other.example/?apientry=a&b=c", "apientry=a&b=c"},
		{"?apientry=a", "apientry=a"},
		{"apientry=a&authid=u\r\n", "apientry=a&authid=u"},
		{"apientry=a&next=/x?y=z", "apientry=a&next=/x?y=z"}, // '?' inside a value
		{"apientry=sms&txt=what?", "apientry=sms&txt=what?"},
		{"wss://h.example/mvstwebsock", ""},
		{"/mvapireq/", ""},
		{"mcrfs=ABC-", "mcrfs=ABC-"},
		{"  \r\n", ""},
	}
	for _, tc := range tests {
		if got := lineQuery(tc.in); got != tc.want {
			t.Errorf("lineQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScanCRLF(t *testing.T) {
	sc := bufio.NewScanner(strings.NewReader("a=1\r\nb=2\nc=3\rd=4\r\n\r\ne=5"))
	sc.Split(scanCRLF)
	var got []string
	for sc.Scan() {
		if sc.Text() != "" {
			got = append(got, sc.Text())
		}
	}
	if strings.Join(got, " ") != "a=1 b=2 c=3 d=4 e=5" {
		t.Fatalf("lines %q", got)
	}
}

// FuzzLineQuery checks that extraction never panics, only ever drops a
// prefix up to the first '?' (or everything, for a bare URL) and keeps a
// plain query intact, and that the result always parses or fails cleanly.
func FuzzLineQuery(f *testing.F) {
	for _, s := range []string{
		"wss://h/mvstwebsock/mvapireq/?apientry=balance&authKey=k&now=415\r\n",
		"/mvapireq/?apientry=apitest1", "apientry=a&x=?b", "?", "??a=b", "http://x",
		"mcrfs=" + webphone.EncodeXOR("apientry=apitest1", wire.DefaultXORKey), "a%zz=1", "\r\n\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got := lineQuery(line)
		s := strings.TrimSpace(line)
		switch {
		case got == s:
		case got == "":
			if !strings.Contains(s, "?") && (strings.ContainsAny(s, "=&") || !looksLikeURL(s)) {
				t.Fatalf("lineQuery(%q) dropped a query", line)
			}
			if i := strings.IndexByte(s, '?'); i >= 0 && i != len(s)-1 {
				t.Fatalf("lineQuery(%q) = %q, want the text after '?'", line, got)
			}
		default:
			i := strings.IndexByte(s, '?')
			if i < 0 || s[i+1:] != got || strings.ContainsAny(s[:i], "=&") {
				t.Fatalf("lineQuery(%q) = %q: not the text after a URL's first '?'", line, got)
			}
		}
		if !strings.Contains(s, "?") && strings.ContainsAny(s, "=&") && got != s {
			t.Fatalf("lineQuery(%q) = %q changed a plain query", line, got)
		}
		wire.ParseQuery(got, wire.DefaultXORKey) // must not panic
	})
}

// FuzzScanCRLF checks that the splitter never panics and that the lines it
// yields, joined back, are the input without its CR and LF bytes.
func FuzzScanCRLF(f *testing.F) {
	f.Add([]byte("a\r\nb\nc\rd"))
	f.Add([]byte("\r\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 16), maxTCPLine)
		sc.Split(scanCRLF)
		var got []byte
		for sc.Scan() {
			if bytes.ContainsAny(sc.Bytes(), "\r\n") {
				t.Fatalf("token %q holds a line break", sc.Bytes())
			}
			got = append(got, sc.Bytes()...)
		}
		if sc.Err() != nil {
			return // a line over maxTCPLine
		}
		var want []byte
		for _, b := range data {
			if b != '\r' && b != '\n' {
				want = append(want, b)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("lines %q, want %q", got, want)
		}
	})
}
