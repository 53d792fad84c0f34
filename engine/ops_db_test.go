package engine_test

import (
	"context"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// TestAuditAndProbeOnEveryDB: the audit row and the write probe work on
// every test database (migration 00010 on each dialect).
func TestAuditAndProbeOnEveryDB(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		ctx := context.Background()
		if _, err := engine.ProbeDB(ctx, db); err != nil {
			t.Fatal(err)
		}
		err := engine.WriteAudit(ctx, db, engine.AuditRecord{UserID: 7, Username: "root", IP: "10.0.0.1", Entry: "setfield",
			Params: engine.Params{"authpwd": "pw", "fieldname": "credit"}, Outcome: "ok", Detail: "line1\nline2", Request: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := engine.WriteAudit(ctx, db, engine.AuditRecord{Entry: "reload", Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
		var r struct {
			Datum                                      time.Time
			Node, Username, IP, Entry, Params, Outcome string
			Detail, Request                            string
		}
		err = db.QueryRowContext(ctx, db.Dialect.Rebind("SELECT datum, node, username, ip, entry, params, outcome, detail, request FROM tb_auditlog WHERE userid = ?"), 7).
			Scan(&r.Datum, &r.Node, &r.Username, &r.IP, &r.Entry, &r.Params, &r.Outcome, &r.Detail, &r.Request)
		if err != nil {
			t.Fatal(err)
		}
		if r.Node != engine.Node || r.Username != "root" || r.Detail != "line1" || r.Params != `{"authpwd":"xxxxx","fieldname":"credit"}` ||
			time.Since(r.Datum) > time.Hour || time.Since(r.Datum) < -time.Hour {
			t.Fatalf("audit row %+v", r)
		}
	})
}
