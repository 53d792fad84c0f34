package schema

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTestSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// onConn runs f on the SQLiteConn of one pooled connection.
func onConn(t *testing.T, db *DB, f func(c *SQLiteConn)) {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		c, ok := dc.(*SQLiteConn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not *SQLiteConn", dc)
		}
		f(c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A SQLite pool's connections keep what Prepared prepared, at most
// MaxPreparedPerConn statements each, and finalize them on Close.
func TestSQLiteConnPrepared(t *testing.T) {
	db := openTestSQLite(t)
	db.SetPool(1, 1) // one connection: every Raw below sees the same one
	ctx := context.Background()
	var first driver.Stmt
	onConn(t, db, func(c *SQLiteConn) {
		st, err := c.Prepared(ctx, "SELECT ?")
		if err != nil {
			t.Fatal(err)
		}
		first = st
		if _, err := c.Prepared(ctx, "SELECT no_such_column FROM tb_users"); err == nil {
			t.Error("a statement that does not prepare: no error")
		}
	})
	onConn(t, db, func(c *SQLiteConn) {
		st, err := c.Prepared(ctx, "SELECT ?")
		if err != nil || st != first {
			t.Errorf("second use: %v, %v: want the statement prepared the first time", st, err)
		}
		for i := range MaxPreparedPerConn + 10 {
			if _, err := c.Prepared(ctx, fmt.Sprintf("SELECT %d", i)); err != nil {
				t.Fatal(err)
			}
			if n := len(c.stmts); n > MaxPreparedPerConn {
				t.Fatalf("%d statements kept, bound %d", n, MaxPreparedPerConn)
			}
		}
		if n := len(c.stmts); n != MaxPreparedPerConn {
			t.Errorf("%d statements kept after %d prepared, want the bound, %d", n, MaxPreparedPerConn+11, MaxPreparedPerConn)
		}
	})
	// Closing the pool closes the connection, its statements first.
	onConn(t, db, func(c *SQLiteConn) {
		if _, err := c.Prepared(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	})
	if err := db.Close(); err != nil {
		t.Fatalf("close with prepared statements: %v", err)
	}
}

// The wrapper forwards what database/sql needs of the driver's connection:
// a read-only transaction, a query interrupted when its context ends, a
// write.
func TestSQLiteConnForwards(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE f (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only transaction: %v", err)
	}
	tx.Rollback()
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int64
	err = db.QueryRowContext(tctx, `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g) SELECT count(*) FROM g`).Scan(&n)
	if err == nil {
		t.Fatal("an endless query answered")
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the endless query ran %v after its context ended", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "interrupt") {
		t.Errorf("endless query: %v, want the deadline or an interrupt", err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO f VALUES (1)"); err != nil {
		t.Errorf("write after the interrupt: %v", err)
	}
}
