package format

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed reports the first error of an encoding/xml token loop over b.
func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("OK: apitest (1.2.3.4)", "id", "name", "1", "Ana", true, true)
	f.Add("ERROR: auth failed: wrong key", "", "", "", "", false, false)
	f.Add(special, "1st", "a b", special, "\x00", true, true)
	f.Add("\xff\xfe<\r\n", "\xff", "\xfe", "]]>", "\uFFFE", false, true)
	f.Add("", "x", "x", "\r", "", true, true)
	f.Fuzz(func(t *testing.T, text, col1, col2, val1, val2 string, ok, table bool) {
		r := Result{OK: ok, Text: text}
		if table {
			r.Columns = []string{col1, col2}
			r.Rows = [][]string{{val1, val2}, {val2}, {}, {val1, val2, val1}}
		}
		for _, format := range []string{Text, ClearText, HTML, XML, SOAP, JSON, JSONP} {
			b, _, err := AppendEncode(nil, format, r, "cb")
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			switch format {
			case Text:
				checkText(t, r, string(b))
			case ClearText:
				if !strings.HasPrefix(string(b), text) {
					t.Fatalf("cleartext does not start with the Text: %q", b)
				}
			case HTML, XML, SOAP:
				if err := wellFormed(b); err != nil {
					t.Fatalf("%s not well-formed: %v\n%q", format, err, b)
				}
			case JSON:
				if !json.Valid(b) {
					t.Fatalf("invalid JSON: %q", b)
				}
			case JSONP:
				inner := bytes.TrimSuffix(bytes.TrimPrefix(b, []byte("cb(")), []byte(");"))
				if !json.Valid(inner) {
					t.Fatalf("invalid JSONP: %q", b)
				}
			}
		}
		checkAnswer(t, r, parseXML(t, encode(t, XML, r)))
		checkJSON(t, r, encode(t, JSON, r))
	})
}

// benchLine is a typical one-line answer.
var benchLine = Result{OK: true, Text: "OK: apitest (1.2.3.4)"}

func benchmarkEncode(b *testing.B, format string) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := Encode(&buf, format, benchLine, "cb"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeText(b *testing.B)  { benchmarkEncode(b, Text) }
func BenchmarkEncodeJSON(b *testing.B)  { benchmarkEncode(b, JSON) }
func BenchmarkEncodeXML(b *testing.B)   { benchmarkEncode(b, XML) }
func BenchmarkEncodeJSONP(b *testing.B) { benchmarkEncode(b, JSONP) }

func BenchmarkAppendEncodeText(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _, _ = AppendEncode(buf[:0], Text, benchLine, "")
	}
}

// BenchmarkEncodeTable measures a customsql answer of 100 rows in JSON.
func BenchmarkEncodeTable(b *testing.B) {
	r := Result{OK: true, Text: "OK: 100 rows", Columns: []string{"id", "username", "credit"}}
	for range 100 {
		r.Rows = append(r.Rows, []string{"42", "apitest", "9.8"})
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := Encode(&buf, JSON, r, ""); err != nil {
			b.Fatal(err)
		}
	}
}
