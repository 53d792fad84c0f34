package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// On SQLite the user lookup scans its row from the statement prepared on
// the driver's connection (lookupStmt.Scan, scanDriverRow), not through
// database/sql: it must read what (*sql.Row).Scan reads into the same
// destinations, and fail where it fails.
func TestSQLiteLookupScanAsDatabaseSQL(t *testing.T) {
	db := mvtest.MustDB(t)
	ctx := context.Background()
	newDest := map[string]func() any{
		"string":  func() any { return new(string) },
		"float64": func() any { return new(float64) },
		"int64":   func() any { return new(int64) },
		"int":     func() any { return new(int) },
	}
	exprs := []string{
		"42", "-9223372036854775808", "1.5", "1e300", "'text'", "'17'", "' 17'", "'1.25'", "''", "'ümlaut'",
		"NULL", "x'0102ff'", "x''", "1 = 1", "CAST(2 AS REAL)", "'9223372036854775808'", "0.1 + 0.2",
	}
	for _, expr := range exprs {
		for _, kind := range []string{"string", "float64", "int64", "int"} {
			t.Run(fmt.Sprintf("%s into %s", expr, kind), func(t *testing.T) {
				query := "SELECT " + expr + " AS a WHERE ? = 7"
				want, got := newDest[kind](), newDest[kind]()
				wantErr := db.QueryRowContext(ctx, query, 7).Scan(want)
				gotErr := engine.LookupScan(ctx, db, query, 7, got)
				if (gotErr == nil) != (wantErr == nil) {
					t.Fatalf("error %v, want as database/sql: %v", gotErr, wantErr)
				}
				if wantErr == nil && !reflect.DeepEqual(got, want) {
					t.Fatalf("read %#v, want as database/sql: %#v", reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
				}
			})
		}
	}
	var s string
	if err := engine.LookupScan(ctx, db, "SELECT 'x' AS a WHERE ? = 7", 8, &s); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("no row: %v, want sql.ErrNoRows", err)
	}
	var a, b string
	if err := engine.LookupScan(ctx, db, "SELECT 'x' AS a WHERE ? = 7", 7, &a, &b); err == nil {
		t.Error("two destinations for one column: no error")
	}
	if err := engine.LookupScan(ctx, db, "SELECT no_such_column FROM tb_users WHERE id = ?", 1, &a); err == nil {
		t.Error("a statement that does not prepare: no error")
	}
}

// On SQLite customsql reads a SELECT from the statement prepared on the
// driver's connection (querySQLiteRows) and must answer what it answered
// through database/sql.
func TestSQLiteRowsAnswerAsDatabaseSQL(t *testing.T) {
	db := mvtest.MustDB(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, query string
		args        []any
	}{
		{"numbers", `SELECT 1, -9223372036854775808, 1.5, 1e300, 0.1 + 0.2, 10.0`, nil},
		{"text and blobs", `SELECT 'x', '', 'ümlaut', x'0102ff', x''`, nil},
		{"nulls", `SELECT NULL, CAST(NULL AS TEXT)`, nil},
		{"one value", `SELECT 'only'`, nil},
		{"no rows", `SELECT 1 WHERE 0`, nil},
		{"exactly MaxRows", `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100) SELECT n, n * 2 FROM g`, nil},
		{"more than MaxRows", `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 150) SELECT n FROM g`, nil},
		{"bound arguments", `SELECT ?, ?, ? IS NULL, ?`, []any{"a'; --", int64(5), nil, 2.5}},
		{"a table", `SELECT id, username, credit FROM tb_users ORDER BY id`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := sqlAnswer(t, db, tc.query, tc.args)
			for _, point := range []bool{false, true} {
				got, err := engine.QuerySQLiteRows(ctx, db.DB.DB, tc.query, tc.args, point)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("prepared on the connection (point read %v):\n%+v\nwant, as through database/sql,\n%+v", point, got, want)
				}
			}
		})
	}
	for _, q := range []string{`SELECT * FROM no_such_table`, `SELECT abs(-9223372036854775808)`} {
		_, want := db.QueryContext(ctx, q)
		if want == nil {
			rows, _ := db.QueryContext(ctx, q)
			_, want = engine.AnswerRows(rows)
			rows.Close()
		}
		_, got := engine.QuerySQLiteRows(ctx, db.DB.DB, q, nil, false)
		if got == nil || want == nil || got.Error() != want.Error() {
			t.Errorf("%s: fails with %v, want as database/sql: %v", q, got, want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, point := range []bool{false, true} {
		if _, err := engine.QuerySQLiteRows(cancelled, db.DB.DB, `SELECT 1`, nil, point); err == nil {
			t.Errorf("a cancelled request's SELECT answered (point read %v)", point)
		}
	}
}
