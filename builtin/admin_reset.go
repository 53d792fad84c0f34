package builtin

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
)

// dbreset, and the table copy of dbrestore (admin_backup.go).
//
// dbreset: database/sql pools reconnect by themselves (a broken connection
// is dropped and the next request opens a new one), so "reset the database
// connections" means: close every connection that sits idle in the pool now
// (they reopen on demand), leave the ones serving requests to finish, and
// ping to prove the database answers. No request is dropped.

func registerAdminReset(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "dbreset", Access: engine.AdminAPI, Handler: dbReset,
		Doc: "Close the idle database connections (they reopen on demand; running requests keep theirs) and ping the database.",
	})
}

// discardIdle closes up to n pooled connections: each is taken from the
// pool and handed back marked bad, which makes database/sql close it
// instead of keeping it.
func discardIdle(ctx context.Context, c *engine.Call, n int) int {
	db := c.DB()
	closed := 0
	for range n {
		gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := db.Conn(gctx)
		cancel()
		if err != nil {
			break
		}
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
		closed++
	}
	return closed
}

func dbReset(ctx context.Context, c *engine.Call) (format.Result, error) {
	before := c.DB().Stats()
	closed := discardIdle(ctx, c, before.Idle)
	took, err := pingDB(ctx, c)
	if err != nil {
		c.Engine.Logger().Error("dbreset: database ping failed", "err", err)
		return engine.Errorf("dbreset: %d idle connections closed, but the database does not answer: %v", closed, err), nil
	}
	c.Engine.Logger().Info("dbreset", "closed", closed, "in_use", before.InUse)
	return engine.OK(fmt.Sprintf("dbreset: %d idle connections closed (they reopen on demand), %d in use left to finish; database ok (%s)",
		closed, before.InUse, took.Round(time.Microsecond))), nil
}

// sqliteIdent quotes any SQLite identifier.
func sqliteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// restoreTable replaces the rows of live table t with those of the
// attached backup (schema mvrestore), copying the columns both have; a
// table the backup lacks is left empty. It runs inside dbrestore's
// transaction.
func restoreTable(ctx context.Context, tx *sqlx.Tx, t string) (int64, error) {
	q := sqliteIdent(t)
	if _, err := tx.ExecContext(ctx, "DELETE FROM main."+q); err != nil {
		return 0, err
	}
	var backupCols []string
	if err := tx.SelectContext(ctx, &backupCols, "SELECT name FROM pragma_table_info(?, 'mvrestore')", t); err != nil {
		return 0, err
	}
	if len(backupCols) == 0 {
		return 0, nil
	}
	var liveCols []string
	if err := tx.SelectContext(ctx, &liveCols, "SELECT name FROM pragma_table_info(?, 'main') ORDER BY cid", t); err != nil {
		return 0, err
	}
	var cols []string
	for _, lc := range liveCols {
		for _, bc := range backupCols {
			if strings.EqualFold(lc, bc) {
				cols = append(cols, sqliteIdent(lc))
				break
			}
		}
	}
	if len(cols) == 0 {
		return 0, nil
	}
	list := strings.Join(cols, ", ")
	r, err := tx.ExecContext(ctx, "INSERT INTO main."+q+" ("+list+") SELECT "+list+" FROM mvrestore."+q)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
