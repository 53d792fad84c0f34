package wire

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDeeplyNestedBodiesAreRefusedCheaply is issue 10 #13: a 1 MiB body of
// nested elements cost ~35 MB per request. Now it is refused at level 33
// after reading only its first levels: fast, with a bounded allocation.
func TestDeeplyNestedBodiesAreRefusedCheaply(t *testing.T) {
	const size = 1 << 20
	nestedXML := []byte(strings.Repeat("<a>", size/3))
	soapHeader := []byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>` +
		strings.Repeat("<h>", size/3))
	nestedJSON := []byte(strings.Repeat(`{"a":`, size/5))
	wrappedJSON := []byte(`{"params":` + strings.Repeat(`{"a":`, size/5))
	for _, tc := range []struct {
		name, ctype string
		body        []byte
		want        string
	}{
		{"xml", "text/xml", nestedXML, "nested deeper than 32 levels"},
		{"soap header", "text/xml", soapHeader, "nested deeper than 32 levels"},
		{"json", "application/json", nestedJSON, "nested objects and arrays are not allowed"},
		{"json params", "application/json", wrappedJSON, "nested objects and arrays are not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, _, err := ParseBody(tc.ctype, tc.body, "")
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			allocs := testing.AllocsPerRun(5, func() { ParseBody(tc.ctype, tc.body, "") })
			bytes := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d byte body answered in %v: %d bytes allocated, %.0f allocations (%v)", tc.name, len(tc.body), took, bytes, allocs, err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%d byte body: err %v, want %q", len(tc.body), err, tc.want)
			}
			if bytes > 256<<10 || allocs > 2000 {
				t.Fatalf("refusing a %d byte body allocated %d bytes in %.0f allocations, want < 256 KiB and < 2000", len(tc.body), bytes, allocs)
			}
			if took > 2*time.Second {
				t.Fatalf("refusing took %v", took)
			}
		})
	}
	// 32 levels are still accepted.
	ok := strings.Repeat("<a>", 31) + "<apientry>x</apientry>" + strings.Repeat("</a>", 31)
	params, _, err := ParseBody("text/xml", []byte(ok), "")
	if err != nil || len(params) != 1 || params[0].Value != "x" {
		t.Fatalf("32 levels: %v %v", params, err)
	}
}
