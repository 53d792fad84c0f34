package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"mvapi/schema"
)

// listenDSN picks the connection that LISTENs for reloads of other nodes
// (PostgreSQL) and says at start how reloads reach this node: listendsn
// when set ("off": none), else the main DSN, except behind a transaction
// pooler (pgbouncer=1), where a LISTEN would be silently deaf: polling only.
// It also warns when pgbouncer=1 but the DSN lets pgx name its statements.
func (m *Main) listenDSN() string {
	cfg := m.Engine.Config()
	if !m.DB.Dialect.SupportsNotify() {
		return ""
	}
	pooled := cfg.Int("pgbouncer") == 1
	poll := cfg.Get("changepoll")
	if pooled {
		mode := ""
		if u, err := url.Parse(m.DSN); err == nil {
			mode = u.Query().Get("default_query_exec_mode")
		}
		switch mode {
		case "exec", "simple_protocol", "describe_exec", "cache_describe": // unnamed statements only
		default:
			m.Log.Warn("pgbouncer=1 but the DSN lacks default_query_exec_mode=exec (or simple_protocol): pgx's named statements fail under transaction pooling", "default_query_exec_mode", mode)
		}
	}
	dsn := strings.TrimSpace(cfg.Get("listendsn"))
	switch {
	case strings.EqualFold(dsn, "off"):
		m.Log.Info("reloads of other nodes: polling tb_changes only (listendsn=off)", "changepoll", poll)
		return ""
	case dsn != "":
		m.Log.Info("reloads of other nodes: LISTEN on listendsn, and polling", "changepoll", poll)
		return dsn
	case pooled:
		m.Log.Info("reloads of other nodes: polling tb_changes only (pgbouncer=1 and no listendsn: LISTEN needs a direct connection)", "changepoll", poll)
		return ""
	}
	m.Log.Info("reloads of other nodes: LISTEN on the main DSN, and polling", "changepoll", poll)
	return m.DSN
}

// startReplica opens the read replica of option readdsn, if any, for the
// read-only entries (engine.UseReplica) until ctx ends, and says so in the
// log. A replica that cannot be opened is logged and not used: the
// primary serves every read.
func (m *Main) startReplica(ctx context.Context) {
	cfg := m.Engine.Config()
	dsn := strings.TrimSpace(cfg.Get("readdsn"))
	if dsn == "" {
		return
	}
	if primarySQL, _ := m.DB.Dialect.ReplicaPositionSQL(); primarySQL == "" {
		m.Log.Warn("readdsn ignored: read replicas are supported on PostgreSQL only", "db", m.DB.Dialect.Title())
		return
	}
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := schema.Open(octx, dsn)
	if err == nil && db.Dialect != m.DB.Dialect {
		db.Close()
		err = fmt.Errorf("readdsn is %s, the database %s", db.Dialect.Title(), m.DB.Dialect.Title())
	}
	if err != nil {
		m.Log.Error("read replica not used: reading from the primary", "err", err)
		return
	}
	db.SetPool(cfg.Int("dbmaxconns"), cfg.Int("dbmaxidleconns"))
	maxLag := time.Duration(cfg.Int("maxreplicalag")) * time.Second
	m.Engine.UseReplica(ctx, db, maxLag)
	_, inUse, lag := m.Engine.ReplicaState()
	m.Log.Info("read replica for cdr, search, reports, listusers and readonly customsql", "db", db.DSN, "in_use", inUse, "lag", lag, "maxreplicalag", maxLag)
}
