package schema_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// TestCheckStatement: the database's refusal comes back with its message
// (and on PostgreSQL its position); statements with placeholders prepare;
// several statements are not checked on PostgreSQL; nothing stays
// prepared.
func TestCheckStatement(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		db.SetMaxOpenConns(1) // one session: its prepared statements are visible below
		ctx := context.Background()
		d := db.Dialect
		for _, q := range []string{
			"SELECT username FROM tb_users WHERE id = " + d.Placeholder(1) + " AND name = " + d.Placeholder(2),
			"UPDATE tb_users SET credit = credit + 1 WHERE id = " + d.Placeholder(1),
			"CREATE TABLE never_created (a INTEGER)",
		} {
			if err := db.CheckStatement(ctx, q, strings.Count(q, d.Placeholder(1)[:1])); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
		var tables []string
		db.Select(&tables, d.TablesSQL())
		for _, name := range tables {
			if name == "never_created" {
				t.Fatal("checking DDL ran it")
			}
		}
		for q, want := range map[string]string{
			"SELEC * FROM nowhere":           "SELEC",
			"SELECT nosuchcol FROM tb_users": "nosuchcol",
			"SELECT * FROM nosuchtable":      "nosuchtable",
		} {
			err := db.CheckStatement(ctx, q, 0)
			var se *schema.StatementError
			if !errors.As(err, &se) || !strings.Contains(se.Message, want) {
				t.Errorf("%s: %v, want a StatementError about %s", q, err, want)
			}
			if q == "SELECT nosuchcol FROM tb_users" && d.Name == "postgres" && se != nil && se.Position != 8 {
				t.Errorf("position %d, want 8", se.Position)
			}
		}
		if d.Name == "postgres" { // PostgreSQL suggests the column meant
			var se *schema.StatementError
			if err := db.CheckStatement(ctx, "SELECT usernam FROM tb_users", 0); !errors.As(err, &se) ||
				!strings.Contains(se.Hint, "username") || !strings.Contains(err.Error(), "(hint: ") {
				t.Errorf("hint: %v", err)
			}
		}
		multi := "UPDATE tb_users SET credit = credit WHERE id = 0; UPDATE tb_users SET credit = credit WHERE id = 0"
		err := db.CheckStatement(ctx, multi, 0)
		if d.Name == "postgres" && !errors.Is(err, schema.ErrNotChecked) || d.Name == "sqlite" && err != nil {
			t.Errorf("several statements: %v", err)
		}
		if d.Name == "postgres" {
			var left int
			if err := db.Get(&left, "SELECT COUNT(*) FROM pg_prepared_statements WHERE name LIKE 'pgx_%'"); err != nil || left != 0 {
				t.Fatalf("%d prepared statements left behind (%v)", left, err)
			}
		}
	})
}

// TestDescribeCapability: only SQL Server describes instead of preparing,
// with every placeholder declared.
func TestDescribeCapability(t *testing.T) {
	if schema.SQLite.DescribeSQL() != "" || schema.Postgres.DescribeSQL() != "" {
		t.Fatal("SQLite and PostgreSQL prepare")
	}
	if got := schema.SQLServer.DescribeSQL(); !strings.Contains(got, "sp_describe_first_result_set @tsql = @p1, @params = @p2") {
		t.Fatalf("SQL Server: %q", got)
	}
	if got := schema.SQLServer.ParamDecl(2); got != "@p1 nvarchar(4000), @p2 nvarchar(4000)" {
		t.Fatalf("ParamDecl(2) = %q", got)
	}
	if schema.SQLServer.ParamDecl(0) != "" || schema.SQLite.ParamDecl(3) != "" {
		t.Fatal("no declaration expected")
	}
}
