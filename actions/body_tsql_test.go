package actions

import (
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/schema"
)

// TestSubqueryTSQL: the reference's {select top 1 ... with(nolock) ...
// USERID} is translated for SQLite (customsqldialect auto), and refused
// with a hint when it cannot be.
func TestSubqueryTSQL(t *testing.T) {
	b, err := ParseBody("Last call: {select top 1 callednumber from tb_cdrs with(nolock) where callerid = USERID order by datum desc}", engine.DialectFor(schema.SQLite, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Main[1].sub.SQL(); got != "select callednumber from tb_cdrs  where callerid = ? order by datum desc LIMIT 1" {
		t.Fatalf("sql %q", got)
	}
	_, err = ParseBody("{select getdate() - datum from tb_cdrs}", engine.DialectFor(schema.SQLite, nil))
	if err == nil || !strings.Contains(err.Error(), "DATEDIFF") {
		t.Fatalf("datetime - datetime column: want a refusal, got %v", err)
	}
	_, err = ParseBody("{select @x}", engine.DialectFor(schema.Postgres, nil))
	if err == nil || !strings.Contains(err.Error(), "T-SQL variables") {
		t.Fatalf("want a refusal, got %v", err)
	}
}
