package schema

// PrepareStatements reports whether mvapi should prepare its hot
// statements itself (database/sql Prepare: a named statement on the
// server's session). True on SQLite, where a prepared statement saves the
// parse of every query in process. False on PostgreSQL: a named statement
// of mvapi's own breaks behind a transaction pooler (pgbouncer: "prepared
// statement ... already exists / does not exist"), and pgx caches the
// statements of a plain query per connection anyway, or describes them
// without a name when the DSN says default_query_exec_mode=exec (see
// README "Running on a replicated PostgreSQL"). False on SQL Server, where
// go-mssqldb runs a prepared statement as sp_executesql anyway.
func (d Dialect) PrepareStatements() bool { return d.prepare }

// ReplicaLagSQL returns one row with one number: the seconds a read
// replica's data is behind its primary (0 when it has replayed all it
// received, or is no replica at all), or "" when the dialect has no read
// replicas mvapi can watch (see engine.UseReplica).
func (d Dialect) ReplicaLagSQL() string { return d.replicaLagSQL }
