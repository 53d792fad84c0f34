package wire

import (
	"fmt"
	"mvapi/internal/webphone"
	"strings"
	"testing"
)

// bodyCase is one ParseBody input with its expected outcome.
type bodyCase struct {
	name, contentType, body string
	want                    []Param
	wantFormat              string
}

func runBodyCases(t *testing.T, tests []bodyCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, format, err := ParseBody(tc.contentType, []byte(tc.body), DefaultXORKey)
			if err != nil {
				t.Fatalf("ParseBody(%q, %q): %v", tc.contentType, tc.body, err)
			}
			if format != tc.wantFormat {
				t.Errorf("format = %q, want %q", format, tc.wantFormat)
			}
			if !sameParams(got, tc.want) {
				t.Errorf("params = %q, want %q", got, tc.want)
			}
		})
	}
}

// bodyErrorCase is one ParseBody input that must fail.
type bodyErrorCase struct {
	name, contentType, body, wantInErr string
}

func runBodyErrorCases(t *testing.T, tests []bodyErrorCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, format, err := ParseBody(tc.contentType, []byte(tc.body), DefaultXORKey)
			if err == nil {
				t.Fatalf("ParseBody(%q, %.60q) = %q, %q; want an error", tc.contentType, tc.body, got, format)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("error %q does not mention %q", err, tc.wantInErr)
			}
		})
	}
}

func TestParseBodyFormAndINI(t *testing.T) {
	mcrfs := webphone.EncodeXOR(webphoneRequest("apientry", "balance", "authkey", "a b&c"), DefaultXORKey)
	runBodyCases(t, []bodyCase{
		{"form", "application/x-www-form-urlencoded; charset=UTF-8", "apientry=balance&authKey=a%20b+c",
			p("apientry", "balance", "authkey", "a b c"), "query"},
		{"form with mcrfs", "application/x-www-form-urlencoded", "mcrfs=" + mcrfs,
			p("apientry", "balance", "authkey", "a b&c"), "query"},
		{"sniffed query", "", "apientry=x&now\r\n", p("apientry", "x", "now", ""), "query"},
		{"sniffed query under text/plain", "text/plain", "a=1", p("a", "1"), "query"},
		{"malformed content type is sniffed", "text/plain; ===", "a=1", p("a", "1"), "query"},
		{"empty body", "", "", nil, "query"},
		{"blank body", "text/plain", " \r\n", nil, "query"},
		{"byte order mark", "", "\xef\xbb\xbfa=1", p("a", "1"), "query"},
		{"ini", "text/plain",
			"; comment\n# comment\n[section]\n\napientry = balance\nAuthKey=a%20b&c\r\nempty=\n",
			p("apientry", "balance", "authkey", "a%20b&c", "empty", ""), "ini"},
		{"ini value keeps '='", "", "a=b=c\nd=e", p("a", "b=c", "d", "e"), "ini"},
		{"ini oenc1 value", "", "a=1\npw=oenc1_" + webphone.EncodeXOR("x", DefaultXORKey),
			p("a", "1", "pw", "x"), "ini"},
	})
}

func TestParseBodyErrors(t *testing.T) {
	many := func(sep string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "p%d=1%s", i, sep)
		}
		return b.String()
	}
	long := strings.Repeat("n", maxNameLen+1)
	runBodyErrorCases(t, []bodyErrorCase{
		{"ini line without '='", "", "a=1\nhello\n", "line 2"},
		{"ini empty name", "", "a=1\n=2", "line 2"},
		{"multipart", "multipart/form-data; boundary=x", "--x\r\n", "unsupported"},
		{"form bad escape", "application/x-www-form-urlencoded", "authid=%G0", `"authid"`},
		{"too many query params", "", many("&", maxParams+1), "parameters"},
		{"too many ini params", "", many("\n", maxParams+1), "parameters"},
		{"too many json params", "application/json",
			"{" + strings.Repeat(`"a":1,`, maxParams) + `"b":2}`, "parameters"},
		{"too many xml params", "", "<r>" + strings.Repeat("<a/>", maxParams+1) + "</r>", "parameters"},
		{"long ini name", "", long + "=1\nb=2", "longer than"},
		{"long json name", "", `{"` + long + `":1}`, "longer than"},
		{"long xml name", "", "<r><" + long + "/></r>", "longer than"},
		{"mcrfs pushes over the limit", "",
			many("&", maxParams-1) + "mcrfs=" + webphone.EncodeXOR("x=1&y=2", DefaultXORKey), "parameters"},
		{"bad mcrfs in json", "", `{"mcrfs":"***"}`, "mcrfs"},
	})
}

func TestParseBodyLimitsBoundary(t *testing.T) {
	var b strings.Builder
	b.WriteString("<r>")
	for i := range maxParams {
		fmt.Fprintf(&b, "<p%d>%d</p%d>", i, i, i)
	}
	b.WriteString("</r>")
	got, format, err := ParseBody("", []byte(b.String()), "")
	if err != nil || format != "xml" || len(got) != maxParams {
		t.Fatalf("%d xml parameters: got %d, %q, %v", maxParams, len(got), format, err)
	}
}
