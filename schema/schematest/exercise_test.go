package schematest_test

import (
	"context"
	"testing"

	"mvapi/internal/mvtest"
	"mvapi/schema"
	"mvapi/schema/schematest"
)

// TestExercise runs the dialect contract suite on SQLite, and on
// PostgreSQL and SQL Server when MVAPI_TEST_POSTGRES or MVAPI_TEST_MSSQL
// names a server.
func TestExercise(t *testing.T) {
	for _, kind := range mvtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := schema.Open(ctx, mvtest.FreshDSN(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := schema.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			if db.Dialect.Name != kind {
				t.Fatalf("opened %s for kind %s", db.Dialect.Name, kind)
			}
			schematest.Exercise(t, db)
		})
	}
}
