package schema_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"mvapi/internal/mvtest"
)

// NativeRows holds exactly where the pool's driver connections are pgx's:
// the engine's native user lookup relies on it.
func TestNativeRowsIsPgx(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		conn, err := db.DB.DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pgx bool
		if err := conn.Raw(func(dc any) error { _, pgx = dc.(*stdlib.Conn); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := db.Dialect.NativeRows(); got != pgx {
			t.Errorf("%s: NativeRows() = %v, but the driver connection is pgx's: %v", db.Dialect.Name, got, pgx)
		}
	})
}
