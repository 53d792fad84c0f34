package engine_test

import (
	"context"
	"reflect"
	"testing"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// On pgx, customsql reads a SELECT on the driver's own rows
// (queryDriverRows) and must answer what it answered through
// database/sql: the same text for every type, the same row limit, the
// same errors.
func TestDriverRowsAnswerAsDatabaseSQL(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		if !db.Dialect.NativeRows() {
			t.Skip("the driver's connections are not pgx's: customsql reads through database/sql only")
		}
		ctx := context.Background()
		for _, tc := range []struct {
			name, query string
			args        []any
		}{
			{"integers", `SELECT 1::int2 AS a, 2::int4, 3::int8, 42::oid, '-9223372036854775808'::int8`, nil},
			{"exact and float numbers", `SELECT 1.50::numeric, 10.000::numeric(10,3), 2.5::float8, 0.1::float4, 1e300::float8, 'NaN'::numeric, 12.34::money`, nil},
			{"booleans", `SELECT true, false`, nil},
			{"text", `SELECT 'x'::text, 'y'::varchar(3), 'z'::char(3), 'ümlaut'::text, ''::text`, nil},
			{"nulls", `SELECT NULL::int, NULL::text, NULL::timestamptz, NULL::bytea, NULL`, nil},
			{"times", `SELECT '2026-12-01 20:00:00.123'::timestamp, '2026-12-01 20:00:00+02'::timestamptz, '2026-12-01'::date, '12:34:56'::time, '1 day 2 hours'::interval, 'infinity'::timestamp, '-infinity'::date`, nil},
			{"binary and documents", `SELECT '\x0102ff'::bytea, '{"a": 1}'::json, '{"a": 1}'::jsonb, '<a>b</a>'::xml`, nil},
			{"other types", `SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '192.168.0.1/24'::inet, ARRAY[1, 2], ARRAY['a', NULL], '(1,2)'::point, 'a & b'::tsquery`, nil},
			{"one value", `SELECT 'only'`, nil},
			{"no rows", `SELECT g FROM generate_series(1, 0) g`, nil},
			{"exactly MaxRows", `SELECT g, g * 2 FROM generate_series(1, 100) g`, nil},
			{"more than MaxRows", `SELECT g FROM generate_series(1, 150) g`, nil},
			{"bound arguments", `SELECT $1::text, $2::int8, $3::text IS NULL, $4::timestamptz`, []any{"a'; --", int64(5), nil, "2026-12-01 10:00:00Z"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := sqlAnswer(t, db, tc.query, tc.args)
				got, err := engine.QueryDriverRows(ctx, db.DB.DB, tc.query, tc.args)
				if err != nil {
					t.Fatal(err)
				}
				if want.Text == "" {
					t.Fatalf("database/sql's answer is empty: %+v", want)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("driver rows answer\n%+v\nwant, as through database/sql,\n%+v", got, want)
				}
			})
		}
		res, err := engine.QueryDriverRows(ctx, db.DB.DB, `SELECT g FROM generate_series(1, 150) g`, nil)
		if err != nil || !res.Truncated || len(res.Rows) != engine.MaxRows || res.Text != "OK: 100 rows (more not shown)" {
			t.Errorf("150 rows: %q, %d rows, truncated %v, %v; want the first %d and more not shown", res.Text, len(res.Rows), res.Truncated, err, engine.MaxRows)
		}

		for _, q := range []string{`SELECT * FROM no_such_table`, `SELECT 1/0`, `SELECT 'x'::int`} {
			_, want := db.QueryContext(ctx, q)
			if want == nil {
				rows, _ := db.QueryContext(ctx, q)
				_, want = engine.AnswerRows(rows)
				rows.Close()
			}
			_, got := engine.QueryDriverRows(ctx, db.DB.DB, q, nil)
			if got == nil || want == nil || got.Error() != want.Error() {
				t.Errorf("%s: driver rows fail with %v, want %v", q, got, want)
			}
		}

		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := engine.QueryDriverRows(cancelled, db.DB.DB, `SELECT 1`, nil); err == nil {
			t.Error("a cancelled request's SELECT answered")
		}
	})
}

// sqlAnswer is customsql's answer to query read through database/sql
// (answerRows), which the driver-row paths must match.
func sqlAnswer(t *testing.T, db *schema.DB, query string, args []any) format.Result {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want, err := engine.AnswerRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	return want
}
