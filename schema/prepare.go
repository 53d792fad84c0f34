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

// ReplicaPositionSQL returns two queries of one row with one integer, or
// "" and "" when the dialect has no read replicas mvapi can watch (see
// engine.UseReplica): primary, on the primary, reads how far its
// write-ahead log has been written (bytes since its start, a position that
// only grows and that a promoted standby continues); replica, on a read
// replica, reads how far it has replayed that log (on a server that is no
// standby: how far it has written, since it has all of it). The lag is
// measured by comparing the two over time, never from the replica alone: a
// replica whose WAL stopped arriving has replayed all it received and
// would look in sync.
func (d Dialect) ReplicaPositionSQL() (primary, replica string) {
	return d.walPositionSQL, d.replayPositionSQL
}

// NativeRows reports whether the driver's connections are pgx's
// (github.com/jackc/pgx/v5/stdlib), so that a hot point read may run
// through pgx's native interface on a connection of the pool
// ((*sql.Conn).Raw): pgx decodes each column straight into the Go value
// it is scanned into, without database/sql's row of driver.Values and its
// conversions. The query runs in the exec mode the DSN says, as any other
// (default_query_exec_mode; pgx's own statement cache, or none).
func (d Dialect) NativeRows() bool { return d.nativeRows }
