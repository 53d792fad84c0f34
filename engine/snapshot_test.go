package engine_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// TestReloadRefusedWhenARowNoLongerCompiles: removing smtphost while an
// email row exists is refused by reload, naming the row, and the old
// snapshot (config and table) keeps serving.
func TestReloadRefusedWhenARowNoLongerCompiles(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) { testReloadRefused(t, mvtest.MustOpen(t, dsn)) })
}

func testReloadRefused(t *testing.T, db *schema.DB) {
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('smtphost', '127.0.0.1'), ('smtpfrom', 'mvapi@example.com')")
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql, custom_action, custom_action_body) VALUES ('mailme', 'SELECT ''mailed''', 1, '***TO=ops@example.com\nhello')")
	e := mvtest.MustEngine(t, db, nil)
	before := e.Snapshot()
	if _, ok := before.Table.Lookup("mailme"); !ok {
		t.Fatal("mailme not compiled")
	}
	var id int64
	if err := db.Get(&id, "SELECT id FROM tb_api WHERE fname = 'mailme'"); err != nil {
		t.Fatal(err)
	}

	mvtest.MustExec(t, db, "UPDATE tb_globalconfig SET value = '' WHERE name = 'smtphost'")
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('apiv2md5salt', 'notyet')")
	err := e.ReloadConfig(context.Background())
	var ce *engine.CompileError
	if !errors.As(err, &ce) || len(ce.Rows) != 1 || ce.Rows[0].ID != id || ce.Rows[0].Fname != "mailme" {
		t.Fatalf("ReloadConfig: %v, want the email row named", err)
	}
	got := serve(e, "127.0.0.1", "apientry", "reload")
	for _, want := range []string{"ERROR: reload failed, old config kept: ", `fname="mailme"`, "smtphost"} {
		if !strings.Contains(got, want) {
			t.Errorf("reload answered %q, lacks %q", got, want)
		}
	}
	if e.Snapshot() != before {
		t.Fatal("a refused reload replaced the snapshot")
	}
	if cfg := e.Config(); cfg.Get("smtphost") != "127.0.0.1" || cfg.MD5Salt != "" {
		t.Fatalf("old config not kept: smtphost=%q salt=%q", cfg.Get("smtphost"), cfg.MD5Salt)
	}
	if got := serve(e, "127.0.0.1", "apientry", "mailme"); !strings.HasPrefix(got, "OK") {
		t.Fatalf("mailme after the refused reload: %q", got)
	}

	// Once the row goes, the same config reloads: config and table together.
	mvtest.MustExec(t, db, "DELETE FROM tb_api WHERE fname = 'mailme'")
	if err := e.ReloadConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := e.Snapshot()
	if _, ok := after.Table.Lookup("mailme"); ok || after.Config.MD5Salt != "notyet" || after.Config.Get("smtphost") != "" {
		t.Fatal("reload did not install the new config with its table")
	}
}

// TestApireloadKeepsConfig: apireload compiles under the
// config in force and leaves it in place.
func TestApireloadKeepsConfig(t *testing.T) {
	db := mvtest.MustDB(t)
	e := mvtest.MustEngine(t, db, nil)
	cfg := e.Config()
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql) VALUES ('fresh', 'SELECT ''fresh''')")
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Config() != cfg {
		t.Fatal("apireload replaced the config")
	}
	if _, ok := e.Table().Lookup("fresh"); !ok {
		t.Fatal("apireload did not install the table")
	}
}

// TestRequestSeesOneSnapshot: a request served on a snapshot sees that
// snapshot's table and config even after a reload swapped in another, and
// requests racing with reloads never see a table of one state with the
// config of the other.
func TestRequestSeesOneSnapshot(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustExec(t, db, "UPDATE tb_globalconfig SET value = 'keyA' WHERE name = 'apiv2key'")
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, req_key, req_user, customsql) VALUES ('probe', 1, 14, 'SELECT ''stateA''')")
	// Loopback is untrusted (the api key is checked); wrong keys lock nobody out.
	e := mvtest.MustEngine(t, db, map[string]string{"allowtrustedip": "0", "authlockoutfailures": "0"})
	ctx := context.Background()
	probe := func(snap *engine.Snapshot, key string) string {
		req := engine.NewRequest([]wire.Param{{Name: "apientry", Value: "probe"}, {Name: "authkey", Value: key}}, netip.MustParseAddr("127.0.0.1"), "internal")
		if snap == nil {
			return e.Serve(ctx, req).Text
		}
		return e.ServeSnapshot(ctx, snap, req).Text
	}
	flip := func(state string) {
		tx := db.MustBegin()
		tx.MustExec(db.Rebind("UPDATE tb_globalconfig SET value = ? WHERE name = 'apiv2key'"), "key"+state)
		tx.MustExec(db.Rebind("UPDATE tb_api SET customsql = ? WHERE fname = 'probe'"), "SELECT 'state"+state+"'")
		if err := tx.Commit(); err != nil {
			t.Error(err)
		}
		if err := e.ReloadConfig(ctx); err != nil {
			t.Error(err)
		}
	}

	a := e.Snapshot()
	flip("B")
	if got := probe(a, "keyA"); !strings.Contains(got, "stateA") {
		t.Fatalf("old snapshot, old key: %q", got)
	}
	if got := probe(nil, "keyA"); !strings.Contains(got, "wrong key") {
		t.Fatalf("new snapshot, old key: %q", got)
	}
	if got := probe(nil, "keyB"); !strings.Contains(got, "stateB") {
		t.Fatalf("new snapshot, new key: %q", got)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		defer close(stop)
		for i := range 20 {
			flip([]string{"A", "B"}[i%2])
		}
	})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, s := range []string{"A", "B"} {
					got := probe(nil, "key"+s)
					if !strings.Contains(got, "wrong key") && !strings.Contains(got, "state"+s) {
						t.Errorf("key%s answered %q: table and config of different states", s, got)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
