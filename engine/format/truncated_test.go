package format

import (
	"strings"
	"testing"
)

// TestTruncatedFlag: a cut table says so in xml, soap and json; without the
// flag every format is byte-identical to before, and the text formats
// carry it in Text only.
func TestTruncatedFlag(t *testing.T) {
	r := Result{OK: true, Text: "OK: 100 rows (more not shown)", Columns: []string{"a"}, Rows: [][]string{{"1"}}}
	plain := r
	r.Truncated = true
	for _, f := range []string{Text, ClearText, HTML, XML, SOAP, JSON, JSONP} {
		withFlag, _, err := AppendEncode(nil, f, r, "cb")
		if err != nil {
			t.Fatal(err)
		}
		without, _, _ := AppendEncode(nil, f, plain, "cb")
		switch f {
		case XML, SOAP:
			if got := strings.Replace(string(withFlag), "<truncated>1</truncated>", "", 1); got != string(without) ||
				!strings.Contains(string(withFlag), "</status><truncated>1</truncated><rows>") {
				t.Errorf("%s: %s", f, withFlag)
			}
		case JSON, JSONP:
			if got := strings.Replace(string(withFlag), `,"truncated":true`, "", 1); got != string(without) ||
				!strings.Contains(string(withFlag), `"text":"OK: 100 rows (more not shown)","truncated":true,"rows":[`) {
				t.Errorf("%s: %s", f, withFlag)
			}
		default:
			if string(withFlag) != string(without) {
				t.Errorf("%s changed: %q", f, withFlag)
			}
		}
		if strings.Contains(string(without), "truncated") {
			t.Errorf("%s without the flag: %s", f, without)
		}
	}
}
