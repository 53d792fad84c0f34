package schema

import (
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// Dialect holds every difference between the supported SQL engines, so that
// the rest of mvapi writes each query once with `?` placeholders and asks
// the dialect what the database can do instead of which database it is.
// The three values SQLite, Postgres and SQLServer are the only dialects.
type Dialect struct {
	// Name is "sqlite", "postgres" or "sqlserver": the folder of the
	// dialect's migrations and the word shown to operators. Code outside
	// schema must not branch on it; ask for a capability instead.
	Name string
	// DriverName is the database/sql driver registered for the dialect.
	DriverName string

	id                int    // index into dialects (1-based) for StatementFunc
	title             string // product name for messages
	bind              int    // sqlx bind type used by Rebind
	concatOp          string // joins expressions ("||"); empty means CONCAT(...)
	placeholderPrefix string // "?" (positional), "$" or "@p" (numbered)
	top               bool   // row limits are SELECT TOP n, not LIMIT n
	lengthFunc        string // LENGTH or LEN
	identOpen         string // quotes an identifier: " or [
	identClose        string
	likeBracket       bool   // [ opens a character class in LIKE
	noLock            string // table hint for a read that takes no locks
	notify            bool   // LISTEN/NOTIFY between nodes
	onlineBackup      bool   // mvapi backs up and restores the database file itself
	inProcess         bool   // the database engine runs inside this process
	prepare           bool   // mvapi prepares its hot statements itself (see PrepareStatements)
	nativeRows        bool   // the driver's connections are pgx's (see NativeRows)
	backupTools       string // what to use for backups when not onlineBackup
	goose             goose.Dialect
	tablesSQL         string // lists the base tables of the current schema
	columnsSQL        string // lists the columns (name, type) of table ?
	lockWaitsSQL      string // lists ungranted lock requests in the current database; "" when there is no such view
	describeSQL       string // checks a statement without running it; "" means prepare it
	paramType         string // declared type of a placeholder in describeSQL
	walPositionSQL    string // the primary's WAL position in bytes; "" when mvapi cannot watch replicas (see ReplicaPositionSQL)
	replayPositionSQL string // the WAL position a read replica has replayed, in bytes
	apiRowVersion     string // a tb_api row's change marker (APIRowVersion)
	apiRowVerGrows    bool   // APIRowVersionGrows
}

// SQLite is the embedded default (modernc.org/sqlite).
var SQLite = Dialect{
	Name: "sqlite", DriverName: "sqlite", id: 1, title: "SQLite",
	bind: sqlx.QUESTION, concatOp: "||", placeholderPrefix: "?",
	lengthFunc: "LENGTH", identOpen: `"`, identClose: `"`,
	onlineBackup: true, inProcess: true, prepare: true,
	goose:      goose.DialectSQLite3,
	tablesSQL:  "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
	columnsSQL: "SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
	// kept by the triggers of migration 00013 (a counter no two changes share)
	apiRowVersion: "rowver", apiRowVerGrows: true,
}

// Postgres is PostgreSQL through pgx in database/sql mode.
var Postgres = Dialect{
	Name: "postgres", DriverName: "pgx", id: 2, title: "PostgreSQL",
	bind: sqlx.DOLLAR, concatOp: "||", placeholderPrefix: "$",
	lengthFunc: "LENGTH", identOpen: `"`, identClose: `"`,
	notify: true, nativeRows: true,
	backupTools: "use pg_dump and pg_restore (or your provider's snapshots)",
	goose:       goose.DialectPostgres,
	tablesSQL:   "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
	columnsSQL:  "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
	lockWaitsSQL: `SELECT CAST(l.pid AS TEXT), l.locktype, l.mode,
 COALESCE(CAST(l.relation::regclass AS TEXT), '') || ' ' || COALESCE(LEFT(a.query, 120), '')
 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database() ORDER BY l.pid`,
	walPositionSQL: `SELECT CAST(pg_current_wal_lsn() - '0/0'::pg_lsn AS BIGINT)`,
	// a standby's replayed position; a server that is no standby (a
	// promoted one) has everything it wrote
	replayPositionSQL: `SELECT CAST(CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_last_wal_replay_lsn(), '0/0'::pg_lsn)
 ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn AS BIGINT)`,
	// a hash of every column but id (the row's text form quotes and
	// delimits each value, NULL included)
	apiRowVersion: `md5(ROW(fname, req_key, req_ip, req_user, req_user_mode, req_user_credit, req_user_register,
 req_user_login, customsql, custom_action, custom_action_body, enabled, "rule", description, readonly)::text)`,
}

// SQLServer is Microsoft SQL Server through go-mssqldb's "sqlserver" driver.
var SQLServer = Dialect{
	Name: "sqlserver", DriverName: "sqlserver", id: 3, title: "SQL Server",
	bind: sqlx.AT, placeholderPrefix: "@p", top: true,
	lengthFunc: "LEN", identOpen: "[", identClose: "]",
	likeBracket: true,
	noLock:      " WITH(NOLOCK)",
	backupTools: "use BACKUP DATABASE / RESTORE DATABASE (sqlcmd or SSMS)",
	goose:       goose.DialectMSSQL,
	tablesSQL:   "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA = SCHEMA_NAME()",
	columnsSQL:  "SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = SCHEMA_NAME() AND TABLE_NAME = @p1 ORDER BY ORDINAL_POSITION",
	lockWaitsSQL: `SELECT CAST(request_session_id AS NVARCHAR(20)), resource_type, request_mode,
 CAST(resource_description AS NVARCHAR(200)) FROM sys.dm_tran_locks WHERE request_status = 'WAIT' AND resource_database_id = DB_ID()`,
	// go-mssqldb prepares lazily (no round trip): the server compiles the
	// batch and describes its first result set without running it.
	describeSQL: "EXEC sp_describe_first_result_set @tsql = @p1, @params = @p2",
	paramType:   "nvarchar(4000)",
}

// dialects lists every dialect at the index of its id.
var dialects = [...]Dialect{{}, SQLite, Postgres, SQLServer}

// Dialects returns the supported dialects: SQLite, Postgres, SQLServer.
func Dialects() []Dialect { return []Dialect{SQLite, Postgres, SQLServer} }

func init() {
	// modernc registers itself as "sqlite", which sqlx does not know.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Title is the product name for messages: "SQLite", "PostgreSQL" or
// "SQL Server".
func (d Dialect) Title() string {
	if d.title == "" {
		return d.Name
	}
	return d.title
}

// Placeholder returns the n-th (1-based) bind placeholder of the dialect.
func (d Dialect) Placeholder(n int) string {
	if d.placeholderPrefix == "?" {
		return "?"
	}
	return d.placeholderPrefix + strconv.Itoa(n)
}

// maxConcatArgs is the argument limit of SQL Server's CONCAT.
const maxConcatArgs = 254

// Concat joins SQL expressions into one string expression: (a || b || c)
// or, on SQL Server, CONCAT(a, b, c). CONCAT takes 2 to 254 arguments, so
// more parts are concatenated in nested calls of at most 254 arguments
// each, and a single part is concatenated with an empty string. Note that
// CONCAT turns NULL into an empty string where || yields NULL. No parts
// gives the empty string literal.
func (d Dialect) Concat(parts []string) string {
	switch {
	case len(parts) == 0:
		return "''"
	case d.concatOp != "":
		return "(" + strings.Join(parts, " "+d.concatOp+" ") + ")"
	case len(parts) == 1:
		return "CONCAT(" + parts[0] + ", '')"
	}
	for len(parts) > 1 {
		next := make([]string, 0, (len(parts)+maxConcatArgs-1)/maxConcatArgs)
		for i := 0; i < len(parts); i += maxConcatArgs {
			chunk := parts[i:min(i+maxConcatArgs, len(parts))]
			if len(chunk) == 1 { // an argument of the outer call
				next = append(next, chunk[0])
				continue
			}
			next = append(next, "CONCAT("+strings.Join(chunk, ", ")+")")
		}
		parts = next
	}
	return parts[0]
}

// Rebind turns mvapi's own `?` queries into the dialect's placeholders.
// It must never be applied to a DBA's customsql (see engine/sqltemplate).
func (d Dialect) Rebind(query string) string {
	return sqlx.Rebind(d.bind, query)
}

// Top returns "TOP n " for SQL Server (to put after SELECT) and "" elsewhere.
func (d Dialect) Top(n int) string {
	if d.top {
		return "TOP " + strconv.Itoa(n) + " "
	}
	return ""
}

// Limit returns " LIMIT n" (to put at the end of a SELECT) except on SQL
// Server, where Top does the job.
func (d Dialect) Limit(n int) string {
	if d.top {
		return ""
	}
	return " LIMIT " + strconv.Itoa(n)
}

// Length is the SQL function for the length of a string.
func (d Dialect) Length(expr string) string {
	if d.lengthFunc == "" {
		return "LENGTH(" + expr + ")"
	}
	return d.lengthFunc + "(" + expr + ")"
}

// ReturningID turns "INSERT INTO t (...) VALUES (...)" into a statement that
// returns the new row's id column: RETURNING id, or OUTPUT INSERTED.id on
// SQL Server. The query uses ? placeholders and is rebound.
func (d Dialect) ReturningID(insert string) string {
	if d.top { // SQL Server: OUTPUT goes before VALUES
		i := strings.Index(strings.ToUpper(insert), " VALUES")
		if i < 0 {
			panic("schema: ReturningID needs an INSERT ... VALUES: " + insert)
		}
		return d.Rebind(insert[:i] + " OUTPUT INSERTED.id" + insert[i:])
	}
	return d.Rebind(insert + " RETURNING id")
}

// Ident quotes a column name that is a reserved word in some dialect (such
// as rule in T-SQL).
func (d Dialect) Ident(name string) string {
	if d.identOpen == "[" {
		return "[" + strings.ReplaceAll(name, "]", "]]") + "]"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// IdentAs is a quoted column for a select list whose result column is
// called name: `"rule" AS rule`, or `[rule]` on SQL Server, where a reserved
// word is not a valid bare alias either.
func (d Dialect) IdentAs(name string) string {
	if d.identOpen == "[" {
		return d.Ident(name)
	}
	return d.Ident(name) + " AS " + name
}

// LikeEscape escapes the LIKE wildcards of s for a pattern written with
// ESCAPE '\': \, % and _, and on SQL Server also [ (a character class in
// T-SQL LIKE).
func (d Dialect) LikeEscape(s string) string {
	if d.likeBracket {
		return bracketLikeEscaper.Replace(s)
	}
	return likeEscaper.Replace(s)
}

var (
	likeEscaper        = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	bracketLikeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `[`, `\[`)
)

// NoLock is the table hint to put after a table name for a read that takes
// no shared locks (" WITH(NOLOCK)" on SQL Server, as Mizu's own statements
// use), or "" where readers do not block writers anyway.
func (d Dialect) NoLock() string { return d.noLock }

// SupportsNotify reports whether nodes can signal each other through the
// database (PostgreSQL LISTEN/NOTIFY); elsewhere they poll. See DB.Notify
// and Listen.
func (d Dialect) SupportsNotify() bool { return d.notify }

// SupportsOnlineBackup reports whether mvapi itself backs up the database
// while serving and restores it (SQLite: VACUUM INTO a file). Elsewhere
// APIRowVersion is an expression of a tb_api row that changes whenever
// any column of the row does (an UPDATE by hand included), for apireload
// to read only the rows that changed; "" when the dialect has none (every
// reload then reads every row).
func (d Dialect) APIRowVersion() string { return d.apiRowVersion }

// APIRowVersionGrows reports whether APIRowVersion is an integer that
// every insert and update sets above every marker before it (SQLite: the
// counter tb_apiver, bumped by the triggers of migration 00014), so that
// the rows changed since a load are those with a higher marker.
func (d Dialect) APIRowVersionGrows() bool { return d.apiRowVerGrows }

// BackupTools says what the operator uses instead.
func (d Dialect) SupportsOnlineBackup() bool { return d.onlineBackup }

// InProcess reports whether the database engine runs inside this process
// (SQLite): a short indexed read then waits on no network, and at most
// busy_timeout on a lock, so the hot path may run it without watching the
// request's context (which costs two goroutines per query).
func (d Dialect) InProcess() bool { return d.inProcess }

// BackupTools tells the operator what to back up and restore the database
// with when SupportsOnlineBackup is false, e.g. "use pg_dump and
// pg_restore (...)"; it is "" when mvapi does it itself.
func (d Dialect) BackupTools() string { return d.backupTools }

// TablesSQL lists the base tables of the current schema, one name per row.
func (d Dialect) TablesSQL() string { return d.tablesSQL }

// ColumnsSQL lists the columns of the table bound to its one placeholder,
// in table order, as rows of (name, database type).
func (d Dialect) ColumnsSQL() string { return d.columnsSQL }

// LockWaitsSQL lists the lock requests the database has not granted yet,
// as rows of four text columns (session, lock kind, mode, what is
// locked), or is "" when the database has no such view (SQLite: one
// writer at a time waits up to the busy timeout).
func (d Dialect) LockWaitsSQL() string { return d.lockWaitsSQL }

// DescribeSQL is the statement that checks a statement against the
// database without running it, with two placeholders: the statement's text
// and the declaration of its parameters (see ParamDecl); "" where preparing
// the statement does that (SQLite, PostgreSQL). DB.CheckStatement uses it.
func (d Dialect) DescribeSQL() string { return d.describeSQL }

// ParamDecl declares n placeholders for DescribeSQL ("@p1 nvarchar(4000),
// @p2 nvarchar(4000)"); "" when n is 0 or the dialect needs none.
func (d Dialect) ParamDecl(n int) string {
	if d.paramType == "" || n == 0 {
		return ""
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = d.Placeholder(i+1) + " " + d.paramType
	}
	return strings.Join(parts, ", ")
}
