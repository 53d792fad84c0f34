package sqltemplate

import (
	"fmt"
	"strings"
	"testing"

	"mvapi/schema"
	"mvapi/schema/schematest"
)

// TestManyKeywordsInOneLiteral compiles literals with more pieces than
// SQL Server's CONCAT takes and checks that the T-SQL nests CONCAT calls
// of 2 to 254 arguments whose pieces are the literal's, in order.
func TestManyKeywordsInOneLiteral(t *testing.T) {
	for _, keywords := range []int{1, 126, 127, 200, 253, 254, 300, 1000} {
		var src strings.Builder
		var pieces []string
		src.WriteString("select * from t where a like N'%")
		for i := 1; i <= keywords; i++ {
			fmt.Fprintf(&src, "[SPARAM%d]-", i%99+1)
			pieces = append(pieces, fmt.Sprintf("@p%d", i), "N'-'")
		}
		pieces = append([]string{"N'%'"}, pieces...)
		src.WriteString("'")
		tmpl, err := Compile(src.String(), schema.SQLServer)
		if err != nil {
			t.Fatalf("%d keywords: %v", keywords, err)
		}
		expr, ok := strings.CutPrefix(tmpl.SQL(), "select * from t where a like ")
		if !ok {
			t.Fatalf("%d keywords: SQL %q", keywords, clipSQL(tmpl.SQL()))
		}
		leaves, err := schematest.CheckTSQLConcat(expr)
		if err != nil {
			t.Fatalf("%d keywords (%d pieces): %v\n%s", keywords, len(pieces), err, clipSQL(expr))
		}
		if got, want := strings.Join(leaves, ","), strings.Join(pieces, ","); got != want {
			t.Errorf("%d keywords: pieces\n got %s\nwant %s", keywords, clipSQL(got), clipSQL(want))
		}
		if len(tmpl.Keys()) != keywords {
			t.Errorf("%d keywords: %d keys", keywords, len(tmpl.Keys()))
		}
		for _, d := range []schema.Dialect{schema.SQLite, schema.Postgres} {
			tmpl, err := Compile(src.String(), d)
			if err != nil {
				t.Fatalf("%s, %d keywords: %v", d.Name, keywords, err)
			}
			if n := strings.Count(tmpl.SQL(), " || "); n != len(pieces)-1 {
				t.Errorf("%s, %d keywords: %d || for %d pieces", d.Name, keywords, n, len(pieces))
			}
		}
	}
}

func clipSQL(s string) string {
	if len(s) > 300 {
		return s[:150] + " ... " + s[len(s)-150:]
	}
	return s
}
