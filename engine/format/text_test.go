package format

import (
	"encoding/csv"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
)

func encode(t testing.TB, format string, r Result) string {
	t.Helper()
	b, _, err := AppendEncode(nil, format, r, "cb")
	if err != nil {
		t.Fatalf("AppendEncode(%s): %v", format, err)
	}
	return string(b)
}

func TestTextGolden(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{OK: true, Text: "OK: apitest (1.2.3.4)"}, "OK: apitest (1.2.3.4)"},
		{Result{Text: "ERROR: auth failed: wrong key"}, "ERROR: auth failed: wrong key"},
		{Result{OK: true}, ""},
		{named("table"), "OK: 2 rows\r\nid,name,note\r\n1,Ana,plain\r\n2,,x\r\n"},
		{named("table one column nulls"), "OK: 3 rows\r\nname\r\n\"\"\r\nx\r\n\"\"\r\n"},
		{named("table no rows"), "OK: 0 rows\r\na,b\r\n"},
	}
	for _, tt := range tests {
		if got := encode(t, Text, tt.r); got != tt.want {
			t.Errorf("text(%q) = %q, want %q", tt.r.Text, got, tt.want)
		}
	}
}

// TestTextCSV reads every table back with encoding/csv.
func TestTextCSV(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			checkText(t, tc.r, encode(t, Text, tc.r))
		})
	}
}

// checkText checks that body starts with the unaltered Text and that the
// table, if any, reads back with encoding/csv. encoding/csv drops lone CRs
// when writing and reads CRLF inside a quoted value as LF, so values are
// compared without CRs.
func checkText(t testing.TB, r Result, body string) {
	t.Helper()
	if !r.hasTable() {
		if body != r.Text {
			t.Fatalf("body = %q, want the Text %q", body, r.Text)
		}
		return
	}
	rest, ok := strings.CutPrefix(body, r.Text+"\r\n")
	if !ok {
		t.Fatalf("body %q does not start with the Text and CRLF", body)
	}
	got, err := csv.NewReader(strings.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("reading CSV %q: %v", rest, err)
	}
	want := [][]string{r.Columns}
	for _, row := range r.Rows {
		want = append(want, fullRow(row, len(r.Columns)))
	}
	for _, rec := range want {
		for i := range rec {
			rec[i] = strings.ReplaceAll(rec[i], "\r", "")
		}
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("CSV = %q, want %q", got, want)
	}
}

func TestClearText(t *testing.T) {
	golden := "OK: 2 rows\r\n\r\nid=1\r\nname=Ana\r\nnote=plain\r\n\r\nid=2\r\nname=\r\nnote=x\r\n"
	if got := encode(t, ClearText, named("table")); got != golden {
		t.Errorf("cleartext = %q, want %q", got, golden)
	}
	oneLine := strings.NewReplacer("\r", " ", "\n", " ")
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			r, body := tc.r, encode(t, ClearText, tc.r)
			if !r.hasTable() {
				if body != r.Text {
					t.Fatalf("body = %q, want %q", body, r.Text)
				}
				return
			}
			rest, ok := strings.CutPrefix(body, r.Text+"\r\n")
			if !ok {
				t.Fatalf("body %q does not start with the Text and CRLF", body)
			}
			var want strings.Builder
			for _, row := range r.Rows {
				want.WriteString("\r\n")
				for i, col := range r.Columns {
					want.WriteString(oneLine.Replace(col) + "=" + oneLine.Replace(cell(row, i)) + "\r\n")
				}
			}
			if rest != want.String() {
				t.Errorf("blocks = %q, want %q", rest, want.String())
			}
		})
	}
}

// htmlDoc is what the tests read back from an html answer.
type htmlDoc struct {
	title, p string
	th       []string
	td       [][]string
}

// parseHTML reads an html answer with encoding/xml: the documents are
// HTML5 written so that they are also well-formed XML.
func parseHTML(t testing.TB, body string) htmlDoc {
	t.Helper()
	var doc htmlDoc
	var stack []string
	var text strings.Builder
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("html is not well-formed: %v\n%s", err, body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
			text.Reset()
			if tok.Name.Local == "tr" && slices.Contains(stack, "tbody") {
				doc.td = append(doc.td, []string{})
			}
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			switch s := text.String(); tok.Name.Local {
			case "title":
				doc.title = s
			case "p":
				doc.p = s
			case "th":
				doc.th = append(doc.th, s)
			case "td":
				doc.td[len(doc.td)-1] = append(doc.td[len(doc.td)-1], s)
			}
			stack = stack[:len(stack)-1]
			text.Reset()
		}
	}
	return doc
}

// htmlText returns s as an HTML parser reads it from an html answer.
func htmlText(s string) string {
	s = replaceInvalid(s, htmlForbidden)
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

func TestHTML(t *testing.T) {
	all := append(cases(), testCase{"script", Result{Text: `<script>alert('x')</script>`,
		Columns: []string{"<b>"}, Rows: [][]string{{"<img src=x onerror=alert(1)>"}}}})
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			r, body := tc.r, encode(t, HTML, tc.r)
			if !strings.HasPrefix(body, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>") {
				t.Fatalf("no HTML5 prologue: %q", body)
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "<img") || strings.Contains(body, "<b>") {
				t.Fatalf("unescaped markup: %q", body)
			}
			doc := parseHTML(t, body)
			if doc.title != "mvapi "+r.status() || doc.p != htmlText(r.Text) {
				t.Errorf("title, p = %q, %q; want %q, %q", doc.title, doc.p, "mvapi "+r.status(), htmlText(r.Text))
			}
			if !r.hasTable() {
				if strings.Contains(body, "<table") {
					t.Errorf("table without Columns: %q", body)
				}
				return
			}
			var th []string
			for _, col := range r.Columns {
				th = append(th, htmlText(col))
			}
			td := [][]string{}
			for _, row := range r.Rows {
				row = fullRow(row, len(r.Columns))
				for i := range row {
					row[i] = htmlText(row[i])
				}
				td = append(td, row)
			}
			if !slices.Equal(doc.th, th) || !slices.EqualFunc(doc.td, td, slices.Equal) {
				t.Errorf("table = %q %q, want %q %q", doc.th, doc.td, th, td)
			}
		})
	}
	if body := encode(t, HTML, Result{Text: `<&>"'`}); !strings.Contains(body, "<p>&lt;&amp;&gt;&#34;&#39;</p>") {
		t.Errorf("escaping: %q", body)
	}
}
