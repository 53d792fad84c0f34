package schematest

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	tsqlBad = []struct {
		re  *regexp.Regexp
		why string
	}{
		{regexp.MustCompile(`(?i)\bLIMIT\s+\d`), "LIMIT (use Dialect.Top)"},
		{regexp.MustCompile(`\|\|`), "|| (use Dialect.Concat)"},
		{regexp.MustCompile(`(?i)\bRETURNING\b`), "RETURNING (use Dialect.ReturningID)"},
		{regexp.MustCompile(`(?i)\bON\s+CONFLICT\b`), "ON CONFLICT"},
		{regexp.MustCompile(`(?i)\bINSERT\s+OR\s+(IGNORE|REPLACE)\b`), "INSERT OR IGNORE/REPLACE"},
		{regexp.MustCompile(`(?i)\bILIKE\b`), "ILIKE"},
		{regexp.MustCompile(`::`), ":: cast"},
		{regexp.MustCompile(`(?i)\b(TRUE|FALSE)\b`), "TRUE/FALSE literal"},
		{regexp.MustCompile(`(?i)\b(LENGTH|SUBSTR|IFNULL|NOW|DATETIME|STRFTIME)\s*\(`), "SQLite/PostgreSQL function"},
		{regexp.MustCompile(`(?i)\bAS\s+TEXT\b`), "CAST AS TEXT (use NVARCHAR)"},
		{regexp.MustCompile(`(?i)\bAS\s+(rule|key|user|file|percent|plan|open|close|public|read|top|function|order|group)\b`), "reserved word as alias"},
		{regexp.MustCompile(`\$\d`), "$n placeholder"},
		{regexp.MustCompile(`\?`), "? placeholder"},
	}
	tsqlParam = regexp.MustCompile(`@p(\d+)`)
)

// TSQLHazards lists what in q, a statement built for the SQLServer dialect,
// is not T-SQL (for the tests that pin mvapi's statements: SQL Server cannot
// run on the development machines). Placeholders must be @p1..@pN in order (in each statement of a
// list joined with "; ").
func TSQLHazards(q string) []string {
	var out []string
	for _, b := range tsqlBad {
		if b.re.MatchString(q) {
			out = append(out, b.why)
		}
	}
	for _, st := range strings.Split(q, ";") { // each statement of a list
		for i, m := range tsqlParam.FindAllStringSubmatch(st, -1) {
			if m[1] != strconv.Itoa(i+1) {
				out = append(out, "placeholders out of order: @p"+m[1]+" at position "+strconv.Itoa(i+1))
				break
			}
		}
	}
	if strings.Contains(q, "`") {
		out = append(out, "backquote")
	}
	return out
}
