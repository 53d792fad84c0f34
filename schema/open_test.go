package schema

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenDSN(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		dsn, wantErr string
	}{
		{dsn: "postgres://u:secret@127.0.0.1:1/db?connect_timeout=1", wantErr: "postgres://u:xxxxx@127.0.0.1:1/db"},
		{dsn: "sqlserver://sa:secret@127.0.0.1:1?database=x&dial+timeout=1", wantErr: "sqlserver://sa:xxxxx@127.0.0.1:1"},
		{dsn: "mysql://h/db", wantErr: "unknown DSN"},
		{dsn: "sqlite:", wantErr: "needs a file path"},
		{dsn: "sqlite::memory:", wantErr: "not supported"},
	}
	for _, tc := range cases {
		_, err := Open(ctx, tc.dsn)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Open(%q) = %v, want %q", tc.dsn, err, tc.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error leaks the password: %v", tc.dsn, err)
		}
	}
}

func TestMigrateIsIdempotentAndWAL(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := Migrate(ctx, db); err != nil || n == 0 {
		t.Fatalf("first migrate: %d %v", n, err)
	}
	if n, err := Migrate(ctx, db); err != nil || n != 0 {
		t.Fatalf("second migrate: %d %v", n, err)
	}
	var mode string
	if err := db.Get(&mode, "PRAGMA journal_mode"); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v", mode, err)
	}
	for _, table := range []string{"tb_api", "tb_users", "tb_globalconfig", "tb_rates", "tb_cdrs", "tb_nonces"} {
		var n int
		if err := db.Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
			t.Errorf("%s: %v", table, err)
		}
	}
}

func TestDialects(t *testing.T) {
	parts := []string{"'%'", "?", "'%'"}
	for _, tc := range []struct {
		d           Dialect
		ph, concat  string
		rebindInput string
		rebind      string
	}{
		{SQLite, "?", "('%' || ? || '%')", "a = ? AND b = ?", "a = ? AND b = ?"},
		{Postgres, "$2", "('%' || ? || '%')", "a = ? AND b = ?", "a = $1 AND b = $2"},
		{SQLServer, "@p2", "CONCAT('%', ?, '%')", "a = ? AND b = ?", "a = @p1 AND b = @p2"},
	} {
		if got := tc.d.Placeholder(2); got != tc.ph {
			t.Errorf("%s placeholder %q", tc.d.Name, got)
		}
		if got := tc.d.Concat(parts); got != tc.concat {
			t.Errorf("%s concat %q", tc.d.Name, got)
		}
		if got := tc.d.Rebind(tc.rebindInput); got != tc.rebind {
			t.Errorf("%s rebind %q", tc.d.Name, got)
		}
	}
}

func TestDialectSQLHelpers(t *testing.T) {
	ins := "INSERT INTO t (a, b) VALUES (?, ?)"
	for _, tc := range []struct {
		d                  Dialect
		top, limit, length string
		returning          string
	}{
		{SQLite, "", " LIMIT 5", "LENGTH(x)", "INSERT INTO t (a, b) VALUES (?, ?) RETURNING id"},
		{Postgres, "", " LIMIT 5", "LENGTH(x)", "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id"},
		{SQLServer, "TOP 5 ", "", "LEN(x)", "INSERT INTO t (a, b) OUTPUT INSERTED.id VALUES (@p1, @p2)"},
	} {
		if got := tc.d.Top(5); got != tc.top {
			t.Errorf("%s Top %q", tc.d.Name, got)
		}
		if got := tc.d.Limit(5); got != tc.limit {
			t.Errorf("%s Limit %q", tc.d.Name, got)
		}
		if got := tc.d.Length("x"); got != tc.length {
			t.Errorf("%s Length %q", tc.d.Name, got)
		}
		if got := tc.d.ReturningID(ins); got != tc.returning {
			t.Errorf("%s ReturningID %q", tc.d.Name, got)
		}
	}
}

func TestSetPool(t *testing.T) {
	db, err := Open(context.Background(), "sqlite:"+t.TempDir()+"/pool.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	def := db.Stats().MaxOpenConnections
	if def < 4 {
		t.Fatalf("default SQLite pool %d, want at least 4", def)
	}
	db.SetPool(7, 3)
	if got := db.Stats().MaxOpenConnections; got != 7 {
		t.Errorf("SetPool(7, 3): max open %d", got)
	}
	db.SetPool(0, 0)
	if got := db.Stats().MaxOpenConnections; got != def {
		t.Errorf("SetPool(0, 0): max open %d, want the default %d", got, def)
	}
}
