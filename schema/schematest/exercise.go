// Package schematest checks what a schema.Dialect promises against a real
// database, after river's riverdrivertest: one Exercise function runs the
// same behaviour suite on every database (SQLite always, PostgreSQL and
// SQL Server when a test database is configured, see internal/mvtest).
// It also holds test helpers for statements that no server here can run:
// TSQLHazards and ConcatCalls check T-SQL text.
//
// The package is for tests only; production code must not import it.
package schematest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"mvapi/schema"
)

// Exercise runs the dialect contract suite on db, an open and migrated
// database of its own (the suite writes rows to tb_globalconfig and
// tb_users and creates and drops scratch tables). Each promise of
// schema.Dialect is a subtest.
func Exercise(t *testing.T, db *schema.DB) {
	t.Helper()
	d := db.Dialect
	ctx := context.Background()

	// put stores name = value in tb_globalconfig.
	put := func(t *testing.T, name, value string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, d.Rebind("INSERT INTO tb_globalconfig (name, value) VALUES (?, ?)"), name, value); err != nil {
			t.Fatalf("insert tb_globalconfig %q: %v", name, err)
		}
	}
	// names lists the names of tb_globalconfig that q (with args) selects.
	names := func(t *testing.T, q string, args ...any) []string {
		t.Helper()
		var out []string
		if err := db.SelectContext(ctx, &out, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		slices.Sort(out)
		return out
	}

	t.Run("Placeholders", func(t *testing.T) {
		put(t, "ph_a", "1")
		put(t, "ph_b", "2")
		q := "SELECT name FROM tb_globalconfig WHERE name = " + d.Placeholder(1) + " OR value = " + d.Placeholder(2)
		if got := names(t, q, "ph_a", "2"); !slices.Equal(got, []string{"ph_a", "ph_b"}) {
			t.Errorf("%s: %v", q, got)
		}
		rq := d.Rebind("SELECT name FROM tb_globalconfig WHERE name = ? AND value = ?")
		if got := names(t, rq, "ph_b", "2"); !slices.Equal(got, []string{"ph_b"}) {
			t.Errorf("%s: %v", rq, got)
		}
		if st := schema.Statement("SELECT name FROM tb_globalconfig WHERE name = ? AND value = ?"); st(d) != rq {
			t.Errorf("Statement = %q, Rebind = %q", st(d), rq)
		}
	})

	t.Run("Concat", func(t *testing.T) {
		put(t, "cc_1", "a-b-c")
		q := "SELECT name FROM tb_globalconfig WHERE value = " + d.Concat([]string{"'a-'", d.Placeholder(1), "'-c'"})
		if got := names(t, q, "b"); !slices.Equal(got, []string{"cc_1"}) {
			t.Errorf("%s: %v", q, got)
		}
		// More parts than SQL Server's CONCAT takes in one call.
		const n = 601
		parts := make([]string, n)
		var want strings.Builder
		var args []any
		for i := range parts {
			if i%2 == 0 {
				parts[i] = "'x'"
				want.WriteString("x")
				continue
			}
			args = append(args, fmt.Sprint(i%10))
			parts[i] = d.Placeholder(len(args))
			want.WriteString(fmt.Sprint(i % 10))
		}
		put(t, "cc_long", want.String())
		q = "SELECT name FROM tb_globalconfig WHERE value = " + d.Concat(parts)
		if got := names(t, q, args...); !slices.Equal(got, []string{"cc_long"}) {
			t.Errorf("Concat of %d parts: %v", n, got)
		}
	})

	t.Run("TopLimit", func(t *testing.T) {
		for _, n := range []string{"tl_1", "tl_2", "tl_3"} {
			put(t, n, "")
		}
		q := d.Rebind("SELECT " + d.Top(2) + "name FROM tb_globalconfig" + d.NoLock() + " WHERE name LIKE ? ORDER BY name" + d.Limit(2))
		if got := names(t, q, "tl_%"); !slices.Equal(got, []string{"tl_1", "tl_2"}) {
			t.Errorf("%s: %v", q, got)
		}
	})

	t.Run("Length", func(t *testing.T) {
		put(t, "len_1", "abcd")
		var n int
		q := d.Rebind("SELECT " + d.Length("value") + " FROM tb_globalconfig WHERE name = ?")
		if err := db.GetContext(ctx, &n, q, "len_1"); err != nil || n != 4 {
			t.Errorf("%s: %d, %v", q, n, err)
		}
	})

	t.Run("ReturningID", func(t *testing.T) {
		q := d.ReturningID("INSERT INTO tb_users (username, password) VALUES (?, ?)")
		var id1, id2 int64
		if err := db.QueryRowxContext(ctx, q, "ret_1", "x").Scan(&id1); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if err := db.QueryRowxContext(ctx, q, "ret_2", "x").Scan(&id2); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var name string
		if err := db.GetContext(ctx, &name, d.Rebind("SELECT username FROM tb_users WHERE id = ?"), id2); err != nil || name != "ret_2" || id1 == id2 {
			t.Errorf("ids %d, %d: row %d is %q, %v", id1, id2, id2, name, err)
		}
	})

	t.Run("LikeEscape", func(t *testing.T) {
		stored := []string{`le_50%`, `le_50x`, `le_a_b`, `le_axb`, `le_[x]`, `le_x]`, `le_\q`, `le_q`}
		for _, s := range stored {
			put(t, s, "")
		}
		q := d.Rebind(`SELECT name FROM tb_globalconfig WHERE name LIKE ? ESCAPE '\'`)
		for _, s := range stored {
			if got := names(t, q, d.LikeEscape(s)); !slices.Equal(got, []string{s}) {
				t.Errorf("LIKE %q (escaped %q) finds %v, want only %q", s, d.LikeEscape(s), got, s)
			}
			if got := names(t, q, d.LikeEscape(s[:len(s)-1])+"%"); !slices.Contains(got, s) {
				t.Errorf("LIKE %q%% (prefix) finds %v, want %q among them", d.LikeEscape(s[:len(s)-1]), got, s)
			}
		}
	})

	t.Run("IsUniqueViolation", func(t *testing.T) {
		put(t, "uq_1", "")
		_, err := db.ExecContext(ctx, d.Rebind("INSERT INTO tb_globalconfig (name, value) VALUES (?, ?)"), "uq_1", "")
		if err == nil || !schema.IsUniqueViolation(err) {
			t.Errorf("duplicate primary key: IsUniqueViolation(%v) is false", err)
		}
		if !schema.IsUniqueViolation(fmt.Errorf("wrapped: %w", err)) {
			t.Errorf("a wrapped duplicate key is not a unique violation: %v", err)
		}
		_, err = db.ExecContext(ctx, d.Rebind("INSERT INTO tb_users (username, password) VALUES (?, ?)"), nil, "")
		if err == nil || schema.IsUniqueViolation(err) {
			t.Errorf("NULL in a NOT NULL column: IsUniqueViolation(%v) is true", err)
		}
		_, err = db.ExecContext(ctx, "SELECT * FROM no_such_table_here")
		if err == nil || schema.IsUniqueViolation(err) {
			t.Errorf("unknown table: IsUniqueViolation(%v) is true", err)
		}
		if schema.IsUniqueViolation(nil) || schema.IsUniqueViolation(errors.New("UNIQUE constraint failed")) {
			t.Error("IsUniqueViolation is true for nil or a plain error text")
		}
	})

	t.Run("Catalogue", func(t *testing.T) {
		var tables []string
		if err := db.SelectContext(ctx, &tables, d.TablesSQL()); err != nil {
			t.Fatalf("%s: %v", d.TablesSQL(), err)
		}
		for _, want := range []string{"tb_users", "tb_api", "tb_globalconfig"} {
			if !slices.ContainsFunc(tables, func(s string) bool { return strings.EqualFold(s, want) }) {
				t.Errorf("TablesSQL lists %v, without %s", tables, want)
			}
		}
		rows, err := db.QueryContext(ctx, d.ColumnsSQL(), "tb_users")
		if err != nil {
			t.Fatalf("%s: %v", d.ColumnsSQL(), err)
		}
		defer rows.Close()
		var cols []string
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				t.Fatal(err)
			}
			if typ == "" {
				t.Errorf("column %s has no type", name)
			}
			cols = append(cols, strings.ToLower(name))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(cols) == 0 || cols[0] != "id" {
			t.Errorf("ColumnsSQL(tb_users) = %v, want id first (table order)", cols)
		}
		for _, want := range []string{"username", "password", "type", "credit", "postpaid", "enabled", "temporarydisabled", "status", "statusdate"} {
			if !slices.Contains(cols, want) {
				t.Errorf("ColumnsSQL(tb_users) = %v, without %s", cols, want)
			}
		}
	})

	t.Run("LockWaits", func(t *testing.T) {
		q := d.LockWaitsSQL()
		if q == "" {
			t.Skipf("%s has no lock view", d.Title())
		}
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, b, c, e string
			if err := rows.Scan(&a, &b, &c, &e); err != nil {
				t.Fatalf("lock wait row: %v", err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Ident", func(t *testing.T) {
		tbl := d.Ident("order")
		create := "CREATE TABLE " + tbl + " (" + d.Ident("key") + " INTEGER, " + d.Ident("user") + " VARCHAR(20), " + d.Ident("rule") + " VARCHAR(20))"
		if _, err := db.ExecContext(ctx, create); err != nil {
			t.Fatalf("%s: %v", create, err)
		}
		defer db.ExecContext(ctx, "DROP TABLE "+tbl)
		ins := d.Rebind("INSERT INTO " + tbl + " (" + d.Ident("key") + ", " + d.Ident("user") + ", " + d.Ident("rule") + ") VALUES (?, ?, ?)")
		if _, err := db.ExecContext(ctx, ins, 7, "u", "r"); err != nil {
			t.Fatalf("%s: %v", ins, err)
		}
		q := "SELECT " + d.Ident("user") + ", " + d.IdentAs("rule") + " FROM " + tbl + " WHERE " + d.Ident("key") + " = 7"
		rows, err := db.QueryxContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		if len(cols) != 2 || !strings.EqualFold(cols[1], "rule") {
			t.Errorf("%s: columns %v, want the second named rule", q, cols)
		}
		var u, r string
		if !rows.Next() {
			t.Fatalf("%s: no row (%v)", q, rows.Err())
		}
		if err := rows.Scan(&u, &r); err != nil || u != "u" || r != "r" {
			t.Errorf("%s: %q %q %v", q, u, r, err)
		}
	})

	t.Run("Notify", func(t *testing.T) {
		if !d.SupportsNotify() {
			if err := db.Notify(ctx, "x"); err != nil {
				t.Errorf("Notify without support: %v", err)
			}
			t.Skipf("%s: nodes poll, no notifications", d.Title())
		}
		got := listen(t, db, func() {
			if err := db.Notify(ctx, "tb_api"); err != nil {
				t.Errorf("Notify: %v", err)
			}
		})
		if got != "tb_api" {
			t.Errorf("notification payload %q, want tb_api", got)
		}
	})

	t.Run("OnlineBackup", func(t *testing.T) {
		if d.SupportsOnlineBackup() == (d.BackupTools() != "") {
			t.Errorf("SupportsOnlineBackup %v with BackupTools %q: say one or the other", d.SupportsOnlineBackup(), d.BackupTools())
		}
	})

	t.Run("ReplicaPosition", func(t *testing.T) {
		primary, replica := d.ReplicaPositionSQL()
		if (primary == "") != (replica == "") {
			t.Fatalf("ReplicaPositionSQL: one query without the other: %q, %q", primary, replica)
		}
		if primary == "" {
			t.Skipf("%s: no read replicas mvapi can watch", d.Title())
		}
		// On a server that is no standby the replayed position is the
		// written one: at least what the primary query saw just before.
		var written, replayed int64
		if err := db.QueryRowContext(ctx, primary).Scan(&written); err != nil {
			t.Fatalf("%s: %v", primary, err)
		}
		if err := db.QueryRowContext(ctx, replica).Scan(&replayed); err != nil {
			t.Fatalf("%s: %v", replica, err)
		}
		if written <= 0 || replayed < written {
			t.Errorf("positions: written %d, then replayed %d on the same server", written, replayed)
		}
	})

	t.Run("APIReadOnlyColumn", func(t *testing.T) {
		// tb_api.readonly (migration 00015) defaults to 0.
		ins := d.Rebind("INSERT INTO tb_api (fname, customsql) VALUES (?, 'SELECT 1')")
		if _, err := db.ExecContext(ctx, ins, "schematest_ro"); err != nil {
			t.Fatalf("%s: %v", ins, err)
		}
		defer db.ExecContext(ctx, d.Rebind("DELETE FROM tb_api WHERE fname = ?"), "schematest_ro")
		var ro int
		if err := db.GetContext(ctx, &ro, d.Rebind("SELECT readonly FROM tb_api WHERE fname = ?"), "schematest_ro"); err != nil || ro != 0 {
			t.Errorf("tb_api.readonly of a new row: %d, %v; want 0", ro, err)
		}
	})

	t.Run("Migrations", func(t *testing.T) {
		st, err := schema.MigrationStatus(ctx, db)
		if err != nil || len(st) == 0 {
			t.Fatalf("MigrationStatus: %v %v", st, err)
		}
		for _, s := range st {
			if !strings.HasSuffix(s, "applied") {
				t.Errorf("migration not applied: %s", s)
			}
		}
	})
}

// listen waits for one notification of schema.NotifyChannel on a
// connection of db's pool (PostgreSQL through pgx) while send runs.
func listen(t *testing.T, db *schema.DB, send func()) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "LISTEN "+schema.NotifyChannel); err != nil {
		t.Fatalf("LISTEN: %v", err)
	}
	defer conn.ExecContext(context.Background(), "UNLISTEN "+schema.NotifyChannel)
	send()
	var payload string
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: driver connection is %T, not pgx", dc)
		}
		n, err := c.Conn().WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		payload = n.Payload
		return nil
	})
	if err != nil && !errors.Is(err, sql.ErrConnDone) {
		t.Fatal(err)
	}
	return payload
}
