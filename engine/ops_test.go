package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"mvapi/schema"
	"mvapi/schema/schematest"
)

// TestConfigSources: showcfg's source column: default, table, env, flag.
func TestConfigSources(t *testing.T) {
	values := map[string]string{}
	for _, o := range ConfigOptions {
		values[o.Name] = o.Default
	}
	values["sqltimeout"], values["mincreditonroute"], values["apiv2md5salt"] = "9", "1", "x"
	cfg, err := newConfig(values,
		map[string]string{"sqltimeout": "MVAPI_SQLTIMEOUT", "mincreditonroute": "tb_globalconfig", "apiv2md5salt": "--set"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"sqltimeout": "env", "mincreditonroute": "table", "apiv2md5salt": "flag", "nonceexpiry": "default"} {
		if got := cfg.Source(name); got != want {
			t.Errorf("Source(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestMaskParams: the audit trail keeps no secret.
func TestMaskParams(t *testing.T) {
	got := MaskParams(Params{"authpwd": "pw1", "authmd5": "abc", "authkey": "k", "fieldname": "password", "fieldvalue": "Secret9",
		"newpassword": "n1", "pin": "1234", "filedata": "0123456789", "txt": "UPDATE tb_users SET credit = 1", "u_password": "up"})
	var m map[string]string
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"authpwd", "authmd5", "authkey", "fieldvalue", "newpassword", "pin", "u_password"} {
		if m[k] != "xxxxx" {
			t.Errorf("%s = %q", k, m[k])
		}
	}
	if m["filedata"] != "(10 bytes)" || m["txt"] != "UPDATE tb_users SET credit = 1" || m["fieldname"] != "password" {
		t.Errorf("masked params %s", got)
	}
	if m := MaskParams(Params{"fieldname": "credit", "fieldvalue": "7"}); !strings.Contains(m, `"fieldvalue":"7"`) {
		t.Errorf("credit value masked: %s", m)
	}
}

// TestLatencyHistogram: buckets are cumulative and count every request.
func TestLatencyHistogram(t *testing.T) {
	var l latency
	l.observe(200 * time.Microsecond)
	l.observe(3 * time.Millisecond)
	l.observe(time.Minute)
	s := l.snapshot()
	if s.Count != 3 || s.Buckets[0] != 1 || s.Buckets[len(s.Buckets)-1] != 2 || s.Sum < 60 {
		t.Fatalf("%+v", s)
	}
	if s.Buckets[3] != 2 { // le=0.005
		t.Fatalf("le 0.005: %+v", s)
	}
}

// TestProbeDBWritesTheHealthRow: the probe updates tb_health.
func TestProbeDBWritesTheHealthRow(t *testing.T) {
	db, err := schema.Open(context.Background(), "sqlite:"+t.TempDir()+"/p.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := schema.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	if _, err := ProbeDB(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	var node string
	if err := db.Get(&node, "SELECT node FROM tb_health WHERE id = 1"); err != nil || node != Node {
		t.Fatalf("tb_health node %q, %v", node, err)
	}
}

// TestSQLServerOpsStatements pins the T-SQL of the audit and probe
// statements (SQL Server cannot run here).
func TestSQLServerOpsStatements(t *testing.T) {
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"auditInsert", auditInsertSQL(d), `INSERT INTO tb_auditlog (datum, node, userid, username, ip, entry, params, outcome, detail, request)
 VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10)`},
		{"healthProbe", healthProbeSQL(d), `UPDATE tb_health SET probed = @p1, node = @p2 WHERE id = 1`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: %v", c.name, h)
		}
	}
}
