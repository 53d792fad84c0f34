package builtin

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// dbbackup and dbrestore on SQLite: an online backup is VACUUM INTO a new
// file of the backup folder (backupdir), a consistent copy taken while the
// server keeps serving. A restore first proves the file is an mvapi
// database (SQLite header, integrity check, mvapi's tables, a schema
// version this server knows), then replaces the contents of every table of
// the live database with the backup's in one transaction, so running
// requests see the old data or the new, never a mix; the schema and its
// migration version stay the live ones. PostgreSQL and SQL Server have
// their own tools; mvapi says which.

// backupTimeout bounds a backup or restore; it goes on if the client leaves.
const backupTimeout = 30 * time.Minute

func registerAdminBackup(reg *engine.Registry) {
	for _, name := range []string{"dbbackup", "backupdb"} {
		reg.Add(engine.Builtin{
			Name: name, Access: engine.AdminAPI, Params: []string{"reserved", "path", "ival", "type"}, Handler: dbBackup,
			Doc: "SQLite: online backup into backupdir (path: a plain file name, default mvapi-DATE-TIME.db); ival and type are ignored.",
		})
	}
	reg.Add(engine.Builtin{
		Name: "dbrestore", Access: engine.SensitiveAPI, Params: []string{"reserved", "path"}, Handler: dbRestore,
		Doc: "SQLite: replace the live data with a backup of backupdir (path), after checking it is an mvapi database.",
	})
}

// otherDBTools answers dbbackup/dbrestore on a database server.
func otherDBTools(c *engine.Call, d schema.Dialect) format.Result {
	return engine.Errorf("%s: not supported on %s: %s", c.Entry.Name, d.Title(), d.BackupTools())
}

// backupName checks a plain file name of the backup folder.
func backupName(s string) (string, error) {
	name, err := cleanRelPath(strings.TrimSpace(s))
	if err != nil || strings.Contains(name, "/") {
		return "", errors.New("bad path: a plain file name in the backup folder (backupdir)")
	}
	return name, nil
}

func dbBackup(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	if !db.Dialect.SupportsOnlineBackup() {
		return otherDBTools(c, db.Dialect), nil
	}
	raw := c.Param("path")
	if strings.TrimSpace(raw) == "" {
		raw = "mvapi-" + utcNow().Format("20060102-150405") + ".db"
	}
	name, err := backupName(raw)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	dir := c.Config.Get("backupdir")
	root, err := openFolder(dir, true)
	if err != nil {
		c.Engine.Logger().Error("dbbackup: backup folder", "err", err)
		return engine.Errorf("dbbackup: the backup folder cannot be opened (backupdir)"), nil
	}
	defer root.Close()
	// The file is created empty through the root (never over an existing
	// file or a link), then filled by VACUUM INTO, which accepts an empty
	// target file.
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return engine.Errorf("dbbackup: %s already exists: choose another path", name), nil
	}
	if err != nil {
		return engine.Errorf("dbbackup: cannot create %s: %s", name, pathReason(err)), nil
	}
	f.Close()
	abs, err := filepath.Abs(filepath.Join(strings.TrimSpace(dir), name))
	if err != nil {
		root.Remove(name)
		return format.Result{}, err
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backupTimeout)
	defer cancel()
	start := time.Now()
	defer c.Engine.TrackQuery(c.Entry.Name, "VACUUM INTO ?")()
	if _, err := db.ExecContext(bctx, "VACUUM INTO ?", abs); err != nil {
		root.Remove(name)
		c.Engine.Logger().Error("dbbackup failed", "file", abs, "err", err)
		return engine.Errorf("dbbackup failed: %v", err), nil
	}
	st, err := root.Stat(name)
	if err != nil {
		return format.Result{}, err
	}
	c.Engine.Logger().Info("dbbackup", "file", abs, "bytes", st.Size(), "took", time.Since(start).Round(time.Millisecond))
	return engine.OK(fmt.Sprintf("backup written: %s (%d bytes) in the backup folder", name, st.Size())), nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// mvapiTables must exist in a file dbrestore accepts.
var mvapiTables = []string{"tb_api", "tb_users", "tb_globalconfig", "goose_db_version"}

// checkBackup proves that the file at abs is an mvapi SQLite database of
// a schema version at most live; it returns the file's version.
func checkBackup(ctx context.Context, root *os.Root, name, abs string, live int64) (int64, error) {
	st, err := root.Lstat(name)
	if err != nil {
		return 0, fmt.Errorf("cannot read %s: %s", name, pathReason(err))
	}
	if !st.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", name)
	}
	f, err := root.Open(name)
	if err != nil {
		return 0, fmt.Errorf("cannot read %s: %s", name, pathReason(err))
	}
	head := make([]byte, len(sqliteHeader))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != sqliteHeader {
		return 0, fmt.Errorf("%s is not an SQLite database", name)
	}
	bk, err := sqlx.Open("sqlite", "file:"+abs+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer bk.Close()
	var check string
	if err := bk.GetContext(ctx, &check, "PRAGMA quick_check"); err != nil || check != "ok" {
		return 0, fmt.Errorf("%s fails the integrity check: %s", name, firstNonEmpty(check, fmt.Sprint(err)))
	}
	for _, t := range mvapiTables {
		var n int
		if err := bk.GetContext(ctx, &n, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", t); err != nil || n != 1 {
			return 0, fmt.Errorf("%s is not an mvapi database: no table %s", name, t)
		}
	}
	var version int64
	if err := bk.GetContext(ctx, &version, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied"); err != nil {
		return 0, fmt.Errorf("%s: migration version unreadable: %v", name, err)
	}
	if version > live {
		return 0, fmt.Errorf("%s is from a newer mvapi (schema version %d, this server has %d)", name, version, live)
	}
	return version, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// liveVersion is the live database's migration version.
func liveVersion(ctx context.Context, db *schema.DB) (int64, error) {
	var v int64
	err := db.GetContext(ctx, &v, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied")
	return v, err
}

func dbRestore(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	if !db.Dialect.SupportsOnlineBackup() {
		return otherDBTools(c, db.Dialect), nil
	}
	// It replaces tb_api and tb_globalconfig: the proof db needs.
	if res, ok := needVerifiedAdmin(c, "dbrestore"); !ok {
		return res, nil
	}
	if strings.TrimSpace(c.Param("path")) == "" {
		return engine.Errorf("missing parameter: path (a backup file of the backup folder)"), nil
	}
	name, err := backupName(c.Param("path"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	dir := c.Config.Get("backupdir")
	root, err := openFolder(dir, false)
	if err != nil {
		return engine.Errorf("dbrestore: the backup folder cannot be opened (backupdir)"), nil
	}
	defer root.Close()
	abs, err := filepath.Abs(filepath.Join(strings.TrimSpace(dir), name))
	if err != nil {
		return format.Result{}, err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backupTimeout)
	defer cancel()
	live, err := liveVersion(rctx, db)
	if err != nil {
		return format.Result{}, err
	}
	version, err := checkBackup(rctx, root, name, abs, live)
	if err != nil {
		return engine.Errorf("dbrestore refused: %v", err), nil
	}
	defer c.Engine.TrackQuery(c.Entry.Name, "restore from "+name)()
	tables, rows, err := restoreSQLite(rctx, c, abs)
	if err != nil {
		c.Engine.Logger().Error("dbrestore failed, nothing changed", "file", abs, "err", err)
		return engine.Errorf("dbrestore failed, nothing changed: %v", err), nil
	}
	c.Engine.Logger().Warn("dbrestore: live data replaced", "file", abs, "tables", tables, "rows", rows)
	msg := fmt.Sprintf("restored %s: %d tables, %d rows (backup schema version %d, live %d)", name, tables, rows, version, live)
	if err := c.Engine.ReloadConfig(rctx); err != nil {
		return engine.Errorf("%s; but the restored config does not load: %v", msg, err), nil
	}
	if _, err := c.Engine.ReloadTable(rctx); err != nil {
		return engine.Errorf("%s; but the restored tb_api does not compile, old table kept: %v", msg, err), nil
	}
	for _, k := range []string{engine.ChangeConfig, engine.ChangeAPI} {
		if err := c.Engine.Announce(rctx, k); err != nil {
			c.Engine.Logger().Error("dbrestore: other nodes not told", "err", err)
		}
	}
	return engine.OK(msg), nil
}

// restoreSQLite copies every table of the backup at abs into the live
// database in one transaction on one connection, which is closed after.
func restoreSQLite(ctx context.Context, c *engine.Call, abs string) (tables int, rows int64, err error) {
	conn, err := c.DB().Connx(ctx)
	if err != nil {
		return 0, 0, err
	}
	// The connection carried an ATTACH and pragmas: it is not reused.
	defer func() {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, "PRAGMA trusted_schema = OFF"); err != nil {
		return 0, 0, err
	}
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS mvrestore", "file:"+abs+"?mode=ro"); err != nil {
		return 0, 0, fmt.Errorf("attach: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE mvrestore")
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
		return 0, 0, err
	}
	var live []string
	if err := tx.SelectContext(ctx, &live, "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'goose_db_version' ORDER BY name"); err != nil {
		return 0, 0, err
	}
	for _, t := range live {
		n, err := restoreTable(ctx, tx, t)
		if err != nil {
			return 0, 0, fmt.Errorf("table %s: %w", t, err)
		}
		tables++
		rows += n
	}
	return tables, rows, tx.Commit()
}
