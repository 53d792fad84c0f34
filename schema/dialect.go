package schema

import (
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Dialect holds every difference between the supported SQL engines, so that
// the rest of mvapi writes each query once with `?` placeholders.
type Dialect struct {
	// Name is "sqlite", "postgres" or "sqlserver".
	Name string
	// DriverName is the database/sql driver registered for the dialect.
	DriverName string
	// bind is the sqlx bind type used by Rebind.
	bind int
	// concatOp joins expressions ("||"); empty means CONCAT(...).
	concatOp string
	// placeholderPrefix is "?" (positional), "$" or "@p" (numbered).
	placeholderPrefix string
}

// SQLite is the embedded default (modernc.org/sqlite).
var SQLite = Dialect{Name: "sqlite", DriverName: "sqlite", bind: sqlx.QUESTION, concatOp: "||", placeholderPrefix: "?"}

// Postgres is PostgreSQL through pgx in database/sql mode.
var Postgres = Dialect{Name: "postgres", DriverName: "pgx", bind: sqlx.DOLLAR, concatOp: "||", placeholderPrefix: "$"}

// SQLServer is Microsoft SQL Server through go-mssqldb's "sqlserver" driver.
var SQLServer = Dialect{Name: "sqlserver", DriverName: "sqlserver", bind: sqlx.AT, placeholderPrefix: "@p"}

func init() {
	// modernc registers itself as "sqlite", which sqlx does not know.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Placeholder returns the n-th (1-based) bind placeholder of the dialect.
func (d Dialect) Placeholder(n int) string {
	if d.placeholderPrefix == "?" {
		return "?"
	}
	return d.placeholderPrefix + strconv.Itoa(n)
}

// Concat joins SQL expressions into one string expression.
func (d Dialect) Concat(parts []string) string {
	if d.concatOp == "" {
		return "CONCAT(" + strings.Join(parts, ", ") + ")"
	}
	return "(" + strings.Join(parts, " "+d.concatOp+" ") + ")"
}

// Rebind turns mvapi's own `?` queries into the dialect's placeholders.
// It must never be applied to a DBA's customsql (see engine/sqltemplate).
func (d Dialect) Rebind(query string) string {
	return sqlx.Rebind(d.bind, query)
}

// Top returns "TOP n " for SQL Server (to put after SELECT) and "" elsewhere.
func (d Dialect) Top(n int) string {
	if d.Name == "sqlserver" {
		return "TOP " + strconv.Itoa(n) + " "
	}
	return ""
}

// Limit returns " LIMIT n" (to put at the end of a SELECT) except on SQL
// Server, where Top does the job.
func (d Dialect) Limit(n int) string {
	if d.Name == "sqlserver" {
		return ""
	}
	return " LIMIT " + strconv.Itoa(n)
}

// Length is the SQL function for the length of a string.
func (d Dialect) Length(expr string) string {
	if d.Name == "sqlserver" {
		return "LEN(" + expr + ")"
	}
	return "LENGTH(" + expr + ")"
}

// ReturningID turns "INSERT INTO t (...) VALUES (...)" into a statement that
// returns the new row's id column: RETURNING id, or OUTPUT INSERTED.id on
// SQL Server. The query uses ? placeholders and is rebound.
func (d Dialect) ReturningID(insert string) string {
	if d.Name == "sqlserver" {
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
	if d.Name == "sqlserver" {
		return "[" + name + "]"
	}
	return `"` + name + `"`
}
