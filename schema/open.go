// Package schema opens mvapi's database, knows the SQL dialects it speaks and
// carries the embedded migrations that create its tables.
package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL as database/sql driver "pgx"
	"github.com/jmoiron/sqlx"
	_ "github.com/microsoft/go-mssqldb" // SQL Server as database/sql driver "sqlserver"
	_ "modernc.org/sqlite"              // the embedded default database
)

// DB is an open database together with its dialect.
type DB struct {
	*sqlx.DB
	Dialect Dialect
	// DSN is the data source as the operator gave it, with any password removed.
	DSN string
	// defaultConns is the pool size SetPool falls back to.
	defaultConns int
	// rawDSN and opts reopen the same database (OpenAnother).
	rawDSN string
	opts   OpenOptions
}

// OpenAnother opens a second, independent connection pool on the same
// database (customsql's own pool, see engine customsqlconns).
func (db *DB) OpenAnother(ctx context.Context) (*DB, error) {
	return OpenWith(ctx, db.rawDSN, db.opts)
}

// ServerPoolSize is the default connection pool of PostgreSQL and SQL
// Server: small enough that several nodes fit a default PostgreSQL
// max_connections=100 beside the operator's own tools.
const ServerPoolSize = 16

// SetPool sizes the connection pool: at most maxOpen connections (0 or less:
// the default of the database, ServerPoolSize on a server, 2 per CPU and at
// least 4 on SQLite) of which maxIdle stay open when idle (0 or less, or
// more than maxOpen: maxOpen).
func (db *DB) SetPool(maxOpen, maxIdle int) {
	if maxOpen <= 0 {
		maxOpen = db.defaultConns
	}
	if maxIdle <= 0 || maxIdle > maxOpen {
		maxIdle = maxOpen
	}
	db.SetMaxIdleConns(maxIdle)
	db.SetMaxOpenConns(maxOpen)
}

// DefaultDSN is the database used when none is given.
const DefaultDSN = "sqlite:mvapi.db"

// Open parses dsn ("sqlite:PATH", "postgres://...", "sqlserver://...") and
// opens the database. It does not migrate; call Migrate for that.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, OpenOptions{})
}

// OpenOptions change how OpenWith opens a database.
type OpenOptions struct {
	// ReadOnly opens the database so that nothing can be written (mvapi
	// check): SQLite opens an existing file with mode=ro (and immutable=1
	// when no -wal or -shm file shows a process using it, so none is
	// created) and a missing file is an error; PostgreSQL sessions get
	// default_transaction_read_only=on. SQL Server has no such connection
	// option: the caller must only read.
	ReadOnly bool
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, o OpenOptions) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), o)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if o.ReadOnly {
			dsn = withQuery(dsn, "default_transaction_read_only", "on")
		}
		db, err := openServer(ctx, Postgres, dsn)
		if db != nil {
			db.opts = o
		}
		return db, err
	case strings.HasPrefix(dsn, "sqlserver://"):
		return openServer(ctx, SQLServer, dsn)
	default:
		return nil, fmt.Errorf("open database: unknown DSN %q: use sqlite:PATH, postgres://... or sqlserver://...", redact(dsn))
	}
}

func openSQLite(ctx context.Context, path string, o OpenOptions) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: sqlite: DSN needs a file path, e.g. sqlite:mvapi.db")
	}
	if path == ":memory:" {
		return nil, errors.New("open database: sqlite::memory: is not supported (each connection would see its own database); use a file")
	}
	// WAL lets readers run beside the one writer; busy_timeout makes
	// writers wait for each other instead of failing; BEGIN IMMEDIATE takes
	// the write lock up front so a transaction never fails half way with
	// SQLITE_BUSY on upgrade.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if o.ReadOnly {
		// mode=ro never creates the file; a missing one would fail with
		// "unable to open database file", which says less.
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w (nothing was created)", path, err)
		}
		q.Set("mode", "ro")
		// Read-only, SQLite would create the -wal and -shm files of a WAL
		// database that no process has open, and leave them behind. With
		// neither file there, no writer has it open: read it as immutable
		// (no locks, no files created).
		if !exists(path+"-wal") && !exists(path+"-shm") {
			q.Set("immutable", "1")
		}
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	if !o.ReadOnly { // BEGIN IMMEDIATE is a write on a read-only file
		q.Set("_txlock", "immediate")
	}
	q.Set("_time_format", "sqlite")
	connector, err := newSQLiteConnector("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), SQLite.DriverName)
	n := 2 * runtime.GOMAXPROCS(0)
	if n < 4 {
		n = 4
	}
	out := &DB{DB: db, Dialect: SQLite, DSN: "sqlite:" + path, defaultConns: n, rawDSN: "sqlite:" + path, opts: o}
	out.SetPool(0, 0)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return out, nil
}

// openServer opens a database server: PostgreSQL through pgx in
// database/sql mode (postgres://user:pass@host:port/db?sslmode=disable), or
// SQL Server through go-mssqldb (sqlserver://user:pass@host?database=db).
func openServer(ctx context.Context, d Dialect, dsn string) (*DB, error) {
	db, err := sqlx.Open(d.DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	out := &DB{DB: db, Dialect: d, DSN: redact(dsn), defaultConns: ServerPoolSize, rawDSN: dsn}
	out.SetPool(0, 0) // until the config says otherwise (dbmaxconns, dbmaxidleconns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	return out, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// withQuery adds name=value to the query of a URL-shaped DSN.
func withQuery(dsn, name, value string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// redact removes a password from a URL-shaped DSN so it can be logged.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
