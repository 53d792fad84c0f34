package mvtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
)

// EnvPostgres names a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
// when set, database tests also run there, each in a schema of its own.
const EnvPostgres = "MVAPI_TEST_POSTGRES"

// EnvMSSQL names a SQL Server DSN; when set, database tests also run there.
const EnvMSSQL = "MVAPI_TEST_MSSQL"

// Kinds lists the database kinds tests run on: "sqlite" always, then
// "postgres" and "sqlserver" when their variables are set.
func Kinds() []string {
	kinds := []string{"sqlite"}
	if os.Getenv(EnvPostgres) != "" {
		kinds = append(kinds, "postgres")
	}
	if os.Getenv(EnvMSSQL) != "" {
		kinds = append(kinds, "sqlserver")
	}
	return kinds
}

// ForEachDB runs fn as a subtest per database kind with a fresh, empty DSN.
func ForEachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) { fn(t, FreshDSN(t, kind)) })
	}
}

// FreshDSN returns the DSN of an empty database of kind that is removed when
// the test ends: a temporary SQLite file, or a new PostgreSQL schema.
func FreshDSN(tb testing.TB, kind string) string {
	tb.Helper()
	switch kind {
	case "sqlite":
		return "sqlite:" + filepath.Join(tb.TempDir(), "mvapi.db")
	case "postgres":
		return freshPostgresSchema(tb, os.Getenv(EnvPostgres))
	case "sqlserver":
		return freshSQLServerDatabase(tb, os.Getenv(EnvMSSQL))
	}
	tb.Fatalf("unknown database kind %q", kind)
	return ""
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "mvt_" + hex.EncodeToString(b)
}

// freshSQLServerDatabase creates a database for one test on the server of
// base (sqlserver://user:pass@host:port?database=x) and drops it afterwards.
func freshSQLServerDatabase(tb testing.TB, base string) string {
	tb.Helper()
	name := randomName()
	admin, err := sqlx.Open("sqlserver", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create database on %s: %v", EnvMSSQL, err)
	}
	tb.Cleanup(func() {
		db, err := sqlx.Open("sqlserver", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("ALTER DATABASE " + name + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
		db.Exec("DROP DATABASE " + name)
	})
	return withQuery(tb, base, "database", name)
}

func withQuery(tb testing.TB, dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func freshPostgresSchema(tb testing.TB, base string) string {
	tb.Helper()
	schema := randomName()
	admin, err := sqlx.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema on %s: %v", EnvPostgres, err)
	}
	tb.Cleanup(func() {
		db, err := sqlx.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	return withQuery(tb, base, "search_path", schema)
}

// NeedPostgres returns the PostgreSQL DSN of EnvPostgres for a test that
// runs only there: without one it skips, or fails under CI=true (where
// .ci/run sets it, so a missing DSN is a broken run, not an option).
func NeedPostgres(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("needs " + EnvPostgres + " (CI=true: .ci/run must set it)")
		}
		tb.Skip("needs " + EnvPostgres + " (.ci/run sets it)")
	}
	return dsn
}
