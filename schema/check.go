package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
)

// StatementError is a statement the database refused to prepare: the
// database's own message and, where the database reports them, the
// position (1-based, in characters of the statement as sent, 0 when
// unknown) and a hint.
type StatementError struct {
	Message  string
	Position int
	Hint     string
	Err      error
}

func (e *StatementError) Error() string {
	if e.Hint != "" {
		return e.Message + " (hint: " + e.Hint + ")"
	}
	return e.Message
}

// Unwrap returns the driver's error.
func (e *StatementError) Unwrap() error { return e.Err }

// ErrNotChecked is wrapped by CheckStatement when the database cannot
// check a statement without running it: several statements in one text on
// PostgreSQL, whose prepared statements hold one command; on SQL Server a
// batch whose result sp_describe_first_result_set cannot determine (a
// temporary table, dynamic SQL).
var ErrNotChecked = errors.New("not checked against the database")

// CheckStatement asks the database whether query would run, without
// running it: SQLite and PostgreSQL prepare it (modernc prepares without
// executing; pgx sends Parse and Describe) and the prepared statement is
// closed at once, so no named statement stays behind; SQL Server compiles
// it with DescribeSQL (sp_describe_first_result_set). nparams is the
// number of placeholders in query (the dialect's own, as customsql
// compiles them). The error is a *StatementError with the database's
// message, an error wrapping ErrNotChecked, or the connection's trouble.
func (db *DB) CheckStatement(ctx context.Context, query string, nparams int) error {
	var err error
	if ds := db.Dialect.DescribeSQL(); ds != "" {
		var rows *sql.Rows
		var decl any // NULL: no parameters
		if d := db.Dialect.ParamDecl(nparams); d != "" {
			decl = d
		}
		rows, err = db.QueryContext(ctx, ds, query, decl)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
	} else {
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		if err == nil {
			err = st.Close()
		}
	}
	return statementError(err)
}

// statementError turns a driver's refusal into a *StatementError.
func statementError(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		if pg.Code == "42601" && strings.Contains(pg.Message, "multiple commands") {
			return fmt.Errorf("several statements: %w", ErrNotChecked)
		}
		msg := pg.Message
		if pg.Detail != "" {
			msg += " (" + pg.Detail + ")"
		}
		return &StatementError{Message: msg, Position: int(pg.Position), Hint: pg.Hint, Err: err}
	}
	var ms mssql.Error
	if errors.As(err, &ms) {
		// 115xx: "The metadata could not be determined because ..." (a
		// temporary table, dynamic SQL, a procedure's branches): a limit
		// of sp_describe_first_result_set, not an error of the statement.
		if ms.Number >= 11500 && ms.Number < 11600 && strings.Contains(ms.Message, "metadata could not be determined") {
			return fmt.Errorf("%s: %w", ms.Message, ErrNotChecked)
		}
		return &StatementError{Message: ms.Message, Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		// "SQL logic error: no such column: x (1)" reads best without
		// the generic prefix and the code.
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "SQL logic error") {
			msg = msg[i+2:]
		}
		msg = strings.TrimSuffix(msg, fmt.Sprintf(" (%d)", lite.Code()))
		return &StatementError{Message: msg, Err: err}
	}
	return err
}

// VersionTable is the table in which goose records applied migrations.
const VersionTable = "goose_db_version"

// CheckMigrated reports whether every migration embedded for the dialect
// has been applied, without changing anything (Migrate creates the
// version table; this only reads it). The error says what is missing and
// what to run.
func CheckMigrated(ctx context.Context, db *DB) error {
	var tables []string
	if err := db.SelectContext(ctx, &tables, db.Dialect.TablesSQL()); err != nil {
		return fmt.Errorf("read the tables of %s: %w", db.DSN, err)
	}
	found := false
	for _, t := range tables {
		found = found || strings.EqualFold(t, VersionTable)
	}
	if !found {
		return fmt.Errorf("%s is not an mvapi database or was never migrated (no %s table): run mvapi migrate --db DSN, or start mvapi serve once", db.DSN, VersionTable)
	}
	p, err := provider(db)
	if err != nil {
		return err
	}
	// goose's provider deletes the row of a migration it undoes.
	var applied []int64
	if err := db.SelectContext(ctx, &applied, "SELECT version_id FROM "+VersionTable); err != nil {
		return fmt.Errorf("read %s: %w", VersionTable, err)
	}
	have := map[int64]bool{}
	for _, v := range applied {
		have[v] = true
	}
	var missing []string
	for _, s := range p.ListSources() {
		if !have[s.Version] {
			missing = append(missing, fmt.Sprint(s.Version))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%s is behind this mvapi: migration(s) %s not applied: run mvapi migrate --db DSN", db.DSN, strings.Join(missing, ", "))
	}
	return nil
}
