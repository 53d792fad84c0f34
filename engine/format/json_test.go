package format

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// objectKeys returns the keys of the JSON object b in document order.
func objectKeys(t testing.TB, b []byte) []string {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("not an object: %v: %s", err, b)
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	var keys []string
	d.Token() // {
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// checkJSON checks a json answer: keys in order, values, rows.
func checkJSON(t testing.TB, r Result, body string) {
	t.Helper()
	if !json.Valid([]byte(body)) {
		t.Fatalf("invalid JSON: %q", body)
	}
	var got struct {
		Code   int
		Status string
		Text   string
		Rows   []json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"code", "status", "text"}
	if r.hasTable() {
		wantKeys = append(wantKeys, "rows")
	}
	if keys := objectKeys(t, []byte(body)); !slices.Equal(keys, wantKeys) {
		t.Errorf("keys = %q, want %q", keys, wantKeys)
	}
	text := replaceInvalid(r.Text, func(rune) bool { return false })
	if got.Code != r.Code() || got.Status != r.status() || got.Text != text {
		t.Errorf("got %d %q %q, want %d %q %q", got.Code, got.Status, got.Text, r.Code(), r.status(), text)
	}
	if len(got.Rows) != len(r.Rows) {
		t.Fatalf("%d rows, want %d", len(got.Rows), len(r.Rows))
	}
	names := uniqueNames(r.Columns)
	for i, raw := range got.Rows {
		if keys := objectKeys(t, raw); !slices.Equal(keys, names) {
			t.Errorf("row %d keys = %q, want %q", i, keys, names)
		}
		var row map[string]string
		if err := json.Unmarshal(raw, &row); err != nil {
			t.Fatal(err)
		}
		for j, name := range names {
			if want := replaceInvalid(cell(r.Rows[i], j), func(rune) bool { return false }); row[name] != want {
				t.Errorf("row %d %s = %q, want %q", i, name, row[name], want)
			}
		}
	}
}

func TestJSON(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			checkJSON(t, tc.r, encode(t, JSON, tc.r))
		})
	}
}

func TestJSONGolden(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{OK: true, Text: "OK: apitest (1.2.3.4)"}, `{"code":200,"status":"OK","text":"OK: apitest (1.2.3.4)"}`},
		{Result{Text: "ERROR: <&>\"'\r\n\x00\u2028"}, `{"code":499,"status":"ERROR","text":"ERROR: \u003c\u0026\u003e\"'\r\n\u0000\u2028"}`},
		{named("table"), `{"code":200,"status":"OK","text":"OK: 2 rows","rows":[` +
			`{"id":"1","name":"Ana","note":"plain"},{"id":"2","name":"","note":"x"}]}`},
		{named("table no rows"), `{"code":200,"status":"OK","text":"OK: 0 rows","rows":[]}`},
		{Result{OK: true, Text: "dup", Columns: []string{"a", "a", "a_2", "a"}, Rows: [][]string{{"1", "2", "3", "4"}}},
			`{"code":200,"status":"OK","text":"dup","rows":[{"a":"1","a_2":"2","a_2_2":"3","a_3":"4"}]}`},
	}
	for _, tt := range tests {
		if got := encode(t, JSON, tt.r); got != tt.want {
			t.Errorf("json(%q) =\n%s, want\n%s", tt.r.Text, got, tt.want)
		}
	}
}

func TestJSONP(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			b, ct, err := AppendEncode(nil, JSONP, tc.r, "jQuery123_456.done")
			if err != nil || ct != "application/javascript; charset=utf-8" {
				t.Fatalf("AppendEncode = %q, %v", ct, err)
			}
			inner, ok1 := strings.CutPrefix(string(b), "jQuery123_456.done(")
			inner, ok2 := strings.CutSuffix(inner, ");")
			if !ok1 || !ok2 {
				t.Fatalf("not callback(JSON); %q", b)
			}
			if inner != encode(t, JSON, tc.r) {
				t.Errorf("jsonp wraps %q, want the json answer", inner)
			}
			checkJSON(t, tc.r, inner)
		})
	}
}
