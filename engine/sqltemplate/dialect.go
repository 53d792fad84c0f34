package sqltemplate

// Dialect is what the compiler needs from a SQL dialect. schema.Dialect
// (schema.SQLite, schema.Postgres, schema.SQLServer) is the one
// implementation; this package has none of its own.
type Dialect interface {
	// Placeholder returns the bind placeholder for the n-th argument
	// (1-based), e.g. "?", "$1" or "@p1".
	Placeholder(n int) string
	// Concat joins SQL expressions (quoted literals or placeholders) into
	// one string expression, e.g. "('%' || ? || '%')" or
	// "CONCAT('%', @p1, '%')", within the database's limits on arguments.
	// The compiler always passes two parts or more.
	Concat(parts []string) string
}
