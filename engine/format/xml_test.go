package format

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"
)

// node is an element read back from an xml or soap answer.
type node struct {
	name xml.Name
	text string
	kids []*node
}

// parseXML reads body with encoding/xml and returns its root element.
func parseXML(t testing.TB, body string) *node {
	t.Helper()
	root := &node{}
	stack := []*node{root}
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%q", err, body)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	if len(root.kids) != 1 || strings.TrimSpace(root.text) != "" {
		t.Fatalf("want one root element, got %d\n%q", len(root.kids), body)
	}
	return root.kids[0]
}

// xmlText returns s as an XML parser reads it from an xml or soap answer.
func xmlText(s string) string {
	return replaceInvalid(s, func(c rune) bool {
		return !(c == '\t' || c == '\n' || c == '\r' || c >= 0x20 && c <= 0xD7FF ||
			c >= 0xE000 && c <= 0xFFFD || c >= 0x10000 && c <= 0x10FFFF)
	})
}

// checkAnswer checks the children of an xml root or soap mvapiResponse.
func checkAnswer(t testing.TB, r Result, n *node) {
	t.Helper()
	want := []string{"code", "text", "status"}
	if r.hasTable() {
		want = append(want, "rows")
	}
	var got []string
	for _, k := range n.kids {
		got = append(got, k.name.Local)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("children = %q, want %q", got, want)
	}
	if c := n.kids[0].text; c != strconv.Itoa(r.Code()) {
		t.Errorf("code = %q, want %d", c, r.Code())
	}
	if s := n.kids[1].text; s != xmlText(r.Text) {
		t.Errorf("text = %q, want %q", s, xmlText(r.Text))
	}
	if s := n.kids[2].text; s != r.status() {
		t.Errorf("status = %q, want %q", s, r.status())
	}
	if !r.hasTable() {
		return
	}
	rows := n.kids[3].kids
	if len(rows) != len(r.Rows) {
		t.Fatalf("%d rows, want %d", len(rows), len(r.Rows))
	}
	for i, row := range rows {
		if row.name.Local != "row" || len(row.kids) != len(r.Columns) {
			t.Fatalf("row %d: <%s> with %d values", i, row.name.Local, len(row.kids))
		}
		for j, v := range row.kids {
			name := string(appendXMLName(nil, r.Columns[j]))
			if v.name.Local != name || v.text != xmlText(cell(r.Rows[i], j)) {
				t.Errorf("row %d: <%s>%q, want <%s>%q", i, v.name.Local, v.text, name, xmlText(cell(r.Rows[i], j)))
			}
		}
	}
}

func TestXML(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			body := encode(t, XML, tc.r)
			if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
				t.Fatalf("no declaration: %q", body)
			}
			root := parseXML(t, body)
			if root.name != (xml.Name{Local: "mvapi"}) {
				t.Fatalf("root = %v, want mvapi", root.name)
			}
			checkAnswer(t, tc.r, root)
		})
	}
}

func TestSOAP(t *testing.T) {
	const env = "http://schemas.xmlsoap.org/soap/envelope/"
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			root := parseXML(t, encode(t, SOAP, tc.r))
			if root.name != (xml.Name{Space: env, Local: "Envelope"}) || len(root.kids) != 1 {
				t.Fatalf("root = %v with %d children, want one soap:Body", root.name, len(root.kids))
			}
			body := root.kids[0]
			if body.name != (xml.Name{Space: env, Local: "Body"}) || len(body.kids) != 1 {
				t.Fatalf("%v with %d children, want soap:Body with mvapiResponse", body.name, len(body.kids))
			}
			if resp := body.kids[0]; resp.name != (xml.Name{Local: "mvapiResponse"}) {
				t.Fatalf("%v, want mvapiResponse", resp.name)
			}
			checkAnswer(t, tc.r, body.kids[0])
		})
	}
}

func TestXMLGolden(t *testing.T) {
	const decl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	tests := []struct {
		format string
		r      Result
		want   string
	}{
		{XML, Result{OK: true, Text: "OK: apitest (1.2.3.4)"},
			decl + "<mvapi><code>200</code><text>OK: apitest (1.2.3.4)</text><status>OK</status></mvapi>\n"},
		{XML, Result{Text: "ERROR: <&>\"'\r\n\x00"},
			decl + "<mvapi><code>499</code><text>ERROR: &lt;&amp;&gt;&#34;&#39;&#xD;&#xA;\uFFFD</text><status>ERROR</status></mvapi>\n"},
		{XML, named("table odd names"), decl + "<mvapi><code>499</code><text>ERROR: odd</text><status>ERROR</status><rows><row>" +
			"<_1st>1</_1st><a_b>2</a_b><a_b>3</a_b><_>4</_><x_y>5</x_y><ok_name>6</ok_name><__>7</__></row></rows></mvapi>\n"},
		{SOAP, Result{OK: true, Text: "OK"}, decl + `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
			"<soap:Body><mvapiResponse><code>200</code><text>OK</text><status>OK</status></mvapiResponse></soap:Body></soap:Envelope>\n"},
	}
	for _, tt := range tests {
		if got := encode(t, tt.format, tt.r); got != tt.want {
			t.Errorf("%s(%q) =\n%q, want\n%q", tt.format, tt.r.Text, got, tt.want)
		}
	}
}

func TestXMLName(t *testing.T) {
	tests := map[string]string{
		"id": "id", "Name_2": "Name_2", "a.b-c": "a.b-c", "1st": "_1st", "": "_",
		"-x": "_-x", ".x": "_.x", "a b": "a_b", "x:y": "x_y", "é": "__", "a<b>": "a_b_",
		"count(*)": "count___",
	}
	for in, want := range tests {
		if got := string(appendXMLName(nil, in)); got != want {
			t.Errorf("appendXMLName(%q) = %q, want %q", in, got, want)
		}
	}
}
