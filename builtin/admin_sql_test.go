package builtin

import (
	"testing"

	"mvapi/schema"
)

// TestAdminSQL pins the statements the admin entries build for each
// dialect (SQL Server cannot run here): identifiers quoted by the
// dialect, values always placeholders, TOP or LIMIT.
func TestAdminSQL(t *testing.T) {
	t.Parallel()
	cols := []string{"type", "username", "port"}
	for _, c := range []struct {
		d                                              schema.Dialect
		getField, getNull, setField, list, ban, insert string
	}{
		{schema.SQLite,
			`SELECT "called" FROM "tb_cdrs" WHERE "callerid" = ? ORDER BY "id" LIMIT 1`,
			`SELECT "id" FROM "tb_rates" WHERE "prefix" IS NULL LIMIT 1`,
			`UPDATE "tb_rates" SET "price" = ? WHERE "id" = ?`,
			`SELECT id, username FROM tb_users WHERE type = ? ORDER BY id DESC LIMIT 5`,
			`SELECT id, ip, reason, created, expires FROM tb_bannedips ORDER BY id LIMIT 1000`,
			`INSERT INTO tb_users ("type", "username", "port") VALUES (?, ?, ?) RETURNING id`},
		{schema.Postgres,
			`SELECT "called" FROM "tb_cdrs" WHERE "callerid" = $1 ORDER BY "id" LIMIT 1`,
			`SELECT "id" FROM "tb_rates" WHERE "prefix" IS NULL LIMIT 1`,
			`UPDATE "tb_rates" SET "price" = $1 WHERE "id" = $2`,
			`SELECT id, username FROM tb_users WHERE type = $1 ORDER BY id DESC LIMIT 5`,
			`SELECT id, ip, reason, created, expires FROM tb_bannedips ORDER BY id LIMIT 1000`,
			`INSERT INTO tb_users ("type", "username", "port") VALUES ($1, $2, $3) RETURNING id`},
		{schema.SQLServer,
			`SELECT TOP 1 [called] FROM [tb_cdrs] WHERE [callerid] = @p1 ORDER BY [id]`,
			`SELECT TOP 1 [id] FROM [tb_rates] WHERE [prefix] IS NULL`,
			`UPDATE [tb_rates] SET [price] = @p1 WHERE [id] = @p2`,
			`SELECT TOP 5 id, username FROM tb_users WHERE type = @p1 ORDER BY id DESC`,
			`SELECT TOP 1000 id, ip, reason, created, expires FROM tb_bannedips ORDER BY id`,
			`INSERT INTO tb_users ([type], [username], [port]) OUTPUT INSERTED.id VALUES (@p1, @p2, @p3)`},
	} {
		for _, p := range [][2]string{
			{getFieldSQL(c.d, "tb_cdrs", "called", "callerid", false, true), c.getField},
			{getFieldSQL(c.d, "tb_rates", "id", "prefix", true, false), c.getNull},
			{setFieldSQL(c.d, "tb_rates", "price"), c.setField},
			{listUsersSQL(c.d, []string{"id", "username"}, true, "id DESC", 5), c.list},
			{bannedListSQL(c.d), c.ban},
			{addServerSQL(c.d, cols), c.insert},
		} {
			if p[0] != p[1] {
				t.Errorf("%s:\n got %s\nwant %s", c.d.Name, p[0], p[1])
			}
		}
		if q := c.d.ColumnsSQL(); q == "" || c.d.TablesSQL() == "" {
			t.Errorf("%s: no catalogue query", c.d.Name)
		}
	}
	if schema.SQLite.LockWaitsSQL() != "" || schema.Postgres.LockWaitsSQL() == "" || schema.SQLServer.LockWaitsSQL() == "" {
		t.Error("lock wait queries")
	}
}
