package builtin

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParseCDRFilter feeds arbitrary query strings to the cdr filter
// parser: it must never panic, and what it accepts must be in range.
func FuzzParseCDRFilter(f *testing.F) {
	for _, s := range []string{
		"days=today&by=all", "days=thismonth&summary=yes", "days=10&caller=123&prefix=40",
		"days=lastweek&dir=in&type=notconnected", "maxcount=1000&days=365&dir=all&type=all&fields=all",
		"fromdt=2024-01-02&todt=2024-01-03 10:00:00", "days=-1", "maxcount=99999999999999999999", "prefix=+%25",
	} {
		f.Add(s)
	}
	now := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		c, err := parseCDRFilter(v.Get, now, 100)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bad ") {
				t.Fatalf("error %q does not name the bad parameter", err)
			}
			return
		}
		if c.MaxCount < 1 || c.MaxCount > maxCDRCount {
			t.Fatalf("maxcount %d accepted", c.MaxCount)
		}
		if c.Prefix != "" && !prefixRE.MatchString(c.Prefix) {
			t.Fatalf("prefix %q accepted", c.Prefix)
		}
		if !c.From.IsZero() && c.From.After(now) && v.Get("fromdt") == "" {
			t.Fatalf("days gave a start in the future: %v", c.From)
		}
		if _, ok := cdrOrder[c.Order]; !ok {
			t.Fatalf("order %q accepted", c.Order)
		}
		if _, ok := cdrFields[c.Fields]; !ok {
			t.Fatalf("fields %q accepted", c.Fields)
		}
	})
}

// FuzzParseAmount: an accepted amount is positive, within the maximum and
// of at most 4 decimals.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"5", "2.50", "0.0001", "0", "-1", "1e3", "NaN", "1.23456", " 7 ", "999999999999.9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseAmount("credit", s, 1000)
		if err != nil {
			return
		}
		if v <= 0 || v > 1000 || roundTo(v, 4) != v {
			t.Fatalf("%q accepted as %v", s, v)
		}
	})
}

// FuzzIMText: a stored message never carries the XOFFMESSAGE marker or a
// line break into a presence answer.
func FuzzIMText(f *testing.F) {
	for _, s := range []string{"hello", "XOFFMESSAGE:x:y", "xoffMESSAGEXOFFMESSAGE", "a\r\nb", "XOFFXOFFMESSAGEMESSAGE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := imText(s)
		upper := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, out)
		if strings.Contains(upper, "XOFFMESSAGE") || strings.ContainsAny(out, "\r\n") {
			t.Fatalf("imText(%q) = %q", s, out)
		}
	})
}

// FuzzSplitList: user lists split into non-empty names without separators.
func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"a,b,c", "a;b c", ",,", "user1:x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range splitList(s) {
			if n == "" || strings.ContainsAny(n, ",; ") {
				t.Fatalf("splitList(%q) gave %q", s, n)
			}
		}
	})
}
