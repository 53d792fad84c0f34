package schema_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	mssql "github.com/microsoft/go-mssqldb"

	"mvapi/internal/mvtest"
	"mvapi/schema"
	"mvapi/schema/schematest"
)

// TestSQLServerConcatNests checks the T-SQL of Concat for every count of
// parts around CONCAT's limit of 254 arguments: nested calls of 2 to 254
// arguments holding the parts in order.
func TestSQLServerConcatNests(t *testing.T) {
	for _, n := range []int{1, 2, 3, 253, 254, 255, 256, 507, 508, 509, 64516, 64517, 70000} {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("@p%d", i+1)
		}
		expr := schema.SQLServer.Concat(parts)
		leaves, err := schematest.CheckTSQLConcat(expr)
		if err != nil {
			t.Fatalf("%d parts: %v", n, err)
		}
		if n == 1 {
			parts = append(parts, "''") // CONCAT(a, '')
		}
		if strings.Join(leaves, ",") != strings.Join(parts, ",") {
			t.Errorf("%d parts: the parts come out as %d others", n, len(leaves))
		}
	}
	if got := schema.SQLServer.Concat(nil); got != "''" {
		t.Errorf("SQLServer.Concat(nil) = %q", got)
	}
	if got := schema.SQLite.Concat(nil); got != "''" {
		t.Errorf("SQLite.Concat(nil) = %q", got)
	}
	if _, err := schematest.CheckTSQLConcat("CONCAT(" + strings.Repeat("?, ", 254) + "?)"); err == nil {
		t.Error("CheckTSQLConcat accepts CONCAT with 255 arguments")
	}
}

func TestStatementIsBuiltOncePerDialect(t *testing.T) {
	calls := 0
	st := schema.StatementFunc(func(d schema.Dialect) string {
		calls++
		return "SELECT " + d.Top(1) + "x FROM t WHERE a = ?" + d.Limit(1)
	})
	if calls != len(schema.Dialects()) {
		t.Fatalf("StatementFunc built %d texts for %d dialects", calls, len(schema.Dialects()))
	}
	for _, d := range schema.Dialects() {
		if got, want := st(d), "SELECT "+d.Top(1)+"x FROM t WHERE a = ?"+d.Limit(1); got != want {
			t.Errorf("%s: %q, want %q", d.Name, got, want)
		}
	}
	if calls != len(schema.Dialects()) {
		t.Errorf("a call rebuilt the statement (%d builds)", calls)
	}
	q := schema.Statement("UPDATE t SET a = ? WHERE id = ?")
	for _, d := range schema.Dialects() {
		if got, want := q(d), d.Rebind("UPDATE t SET a = ? WHERE id = ?"); got != want {
			t.Errorf("%s: Statement %q, Rebind %q", d.Name, got, want)
		}
	}
	if got := q(schema.Dialect{}); got != "UPDATE t SET a = ? WHERE id = ?" {
		t.Errorf("zero Dialect: %q", got)
	}
	if got, want := q(schema.SQLServer), "UPDATE t SET a = @p1 WHERE id = @p2"; got != want {
		t.Errorf("SQLServer: %q, want %q", got, want)
	}
}

func BenchmarkStatement(b *testing.B) {
	q := schema.Statement("SELECT a, b, c FROM t WHERE id = ? AND x = ? AND y = ?")
	b.Run("Statement", func(b *testing.B) {
		for b.Loop() {
			_ = q(schema.Postgres)
		}
	})
	b.Run("Rebind", func(b *testing.B) {
		for b.Loop() {
			_ = schema.Postgres.Rebind("SELECT a, b, c FROM t WHERE id = ? AND x = ? AND y = ?")
		}
	})
}

// TestIsUniqueViolation checks the classification against errors the real
// drivers return: SQLite always, PostgreSQL when MVAPI_TEST_POSTGRES is
// set; SQL Server's typed error is built by hand when no server is set.
func TestIsUniqueViolation(t *testing.T) {
	kinds := mvtest.Kinds()
	if os.Getenv(mvtest.EnvPostgres) == "" {
		t.Log("MVAPI_TEST_POSTGRES is not set: PostgreSQL errors not checked")
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db, err := schema.Open(ctx, mvtest.FreshDSN(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			d := db.Dialect
			for _, q := range []string{
				"CREATE TABLE u (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, code VARCHAR(20), CHECK (code <> 'bad'))",
				"CREATE UNIQUE INDEX u_name ON u (name)",
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			ins := d.Rebind("INSERT INTO u (id, name, code) VALUES (?, ?, ?)")
			if _, err := db.ExecContext(ctx, ins, 1, "a", "x"); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what   string
				args   []any
				unique bool
			}{
				{"duplicate primary key", []any{1, "b", "x"}, true},
				{"duplicate unique index", []any{2, "a", "x"}, true},
				{"NULL in NOT NULL", []any{3, nil, "x"}, false},
				{"CHECK", []any{4, "c", "bad"}, false},
			} {
				_, err := db.ExecContext(ctx, ins, c.args...)
				if err == nil {
					t.Fatalf("%s: no error", c.what)
				}
				if got := schema.IsUniqueViolation(err); got != c.unique {
					t.Errorf("%s: IsUniqueViolation(%T %v) = %v", c.what, err, err, got)
				}
				if got := schema.IsUniqueViolation(fmt.Errorf("insert: %w", err)); got != c.unique {
					t.Errorf("%s, wrapped: IsUniqueViolation = %v", c.what, got)
				}
			}
		})
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{mssql.Error{Number: 2627, Message: "Violation of PRIMARY KEY constraint"}, true},
		{mssql.Error{Number: 2601, Message: "Cannot insert duplicate key row"}, true},
		{&mssql.Error{Number: 2627}, true},
		{mssql.Error{Number: 515, Message: "Cannot insert the value NULL"}, false},
		{fmt.Errorf("UNIQUE constraint failed: duplicate key 23505"), false},
		{nil, false},
	} {
		if got := schema.IsUniqueViolation(c.err); got != c.want {
			t.Errorf("IsUniqueViolation(%#v) = %v, want %v", c.err, got, c.want)
		}
	}
}
