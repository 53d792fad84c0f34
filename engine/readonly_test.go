package engine_test

import (
	"context"
	"strings"
	"testing"

	"mvapi/internal/mvtest"
)

// TestReadOnlyRows: tb_api.readonly = 1 marks a customsql SELECT for the
// read replica; a row that writes, sets another value or has no customsql
// is a bad row of its own (the others serve), and a change of readonly
// alone is a changed row for apireload.
func TestReadOnlyRows(t *testing.T) {
	db := mvtest.MustDB(t)
	for _, row := range []struct{ fname, sql, readonly string }{
		{"roselect", "SELECT username FROM tb_users WHERE id = [USERID]", "1"},
		{"rodefault", "SELECT 1", "0"},
		{"rowrite", "UPDATE tb_users SET credit = credit + 1 WHERE id = [USERID]", "1"},
		{"rocte", "WITH x AS (SELECT 1 AS v) DELETE FROM tb_cdrs WHERE id IN (SELECT v FROM x)", "1"},
		{"rotwo", "SELECT 1; SELECT 2", "1"},
		{"robad", "SELECT 1", "2"},
	} {
		mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql, readonly) VALUES (?, ?, ?)", row.fname, row.sql, row.readonly)
	}
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, readonly) VALUES ('balance', 1)")
	e := mvtest.MustEngine(t, db, nil)

	bad := map[string]string{}
	for _, r := range e.BadRows() {
		bad[r.Fname] = r.Error()
	}
	for fname, want := range map[string]string{
		"rowrite": "readonly: 1 but the customsql writes",
		"rocte":   "readonly: 1 but the customsql writes",
		"rotwo":   "readonly: 1 but the customsql writes or is not one SELECT",
		"robad":   "readonly: 2: use 0, or 1",
		"balance": "readonly: 1 needs customsql",
	} {
		if !strings.Contains(bad[fname], want) {
			t.Errorf("row %s: bad row %q, want it to say %q", fname, bad[fname], want)
		}
	}
	for fname, want := range map[string]bool{"roselect": true, "rodefault": false} {
		en, ok := e.Table().Lookup(fname)
		if !ok || en.Misconfigured || en.ReadOnly != want {
			t.Fatalf("entry %s: %+v, want ReadOnly %v", fname, en, want)
		}
	}

	mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname IN ('rowrite', 'rocte', 'rotwo', 'robad', 'balance')")
	mvtest.MustExec(t, db, "UPDATE tb_api SET readonly = 1 WHERE fname = 'rodefault'")
	d, err := e.ReloadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.String(), "rodefault") {
		t.Fatalf("apireload after readonly changed: %s", d)
	}
	if en, _ := e.Table().Lookup("rodefault"); en == nil || !en.ReadOnly {
		t.Fatalf("rodefault after apireload: %+v", en)
	}
}
