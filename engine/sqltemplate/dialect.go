package sqltemplate

import (
	"strconv"
	"strings"
)

// Dialect is what the compiler needs from a SQL dialect.
type Dialect interface {
	// Placeholder returns the bind placeholder for the n-th argument
	// (1-based), e.g. "?", "$1" or "@p1".
	Placeholder(n int) string
	// Concat joins SQL expressions (quoted literals or placeholders) into
	// one string expression, e.g. "('%' || ? || '%')" or
	// "CONCAT('%', @p1, '%')". The compiler always passes two parts or more.
	Concat(parts []string) string
}

// SQLite, Postgres and SQLServer are reference Dialect implementations.
var (
	// SQLite uses "?" placeholders and concatenates with ||:
	// ('a' || ? || 'b').
	SQLite Dialect = sqliteDialect{}
	// Postgres uses "$n" placeholders and concatenates with ||:
	// ('a' || $1 || 'b').
	Postgres Dialect = postgresDialect{}
	// SQLServer uses "@pN" placeholders and concatenates with CONCAT():
	// CONCAT('a', @p1, 'b'). Note that CONCAT turns NULL into '' where ||
	// yields NULL.
	SQLServer Dialect = sqlServerDialect{}
)

type sqliteDialect struct{}

func (sqliteDialect) Placeholder(int) string       { return "?" }
func (sqliteDialect) Concat(parts []string) string { return pipeConcat(parts) }

type postgresDialect struct{}

func (postgresDialect) Placeholder(n int) string     { return "$" + strconv.Itoa(n) }
func (postgresDialect) Concat(parts []string) string { return pipeConcat(parts) }

type sqlServerDialect struct{}

func (sqlServerDialect) Placeholder(n int) string { return "@p" + strconv.Itoa(n) }

// maxConcatArgs is the argument limit of SQL Server's CONCAT.
const maxConcatArgs = 254

// Concat nests CONCAT calls when there are more parts than CONCAT accepts
// and never emits CONCAT with a single argument (SQL Server rejects it).
func (sqlServerDialect) Concat(parts []string) string {
	if len(parts) == 0 {
		return "''"
	}
	for len(parts) > 1 {
		var next []string
		for i := 0; i < len(parts); i += maxConcatArgs {
			chunk := parts[i:min(i+maxConcatArgs, len(parts))]
			if len(chunk) == 1 {
				next = append(next, chunk[0])
				continue
			}
			next = append(next, "CONCAT("+strings.Join(chunk, ", ")+")")
		}
		parts = next
	}
	return parts[0]
}

// pipeConcat joins parts with the standard || operator.
func pipeConcat(parts []string) string {
	if len(parts) == 0 {
		return "''"
	}
	return "(" + strings.Join(parts, " || ") + ")"
}
