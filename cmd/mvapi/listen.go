package main

import (
	"net/url"
	"strings"
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
		if mode != "exec" && mode != "simple_protocol" {
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
