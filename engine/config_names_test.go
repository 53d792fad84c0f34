package engine_test

import (
	"context"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

// The reference's names and values (issue 12): httpapikey is the old name
// of apiv2key, booleans read true/false, and every documented range is
// enforced wherever a value comes from.
func TestConfigReferenceNamesAndRanges(t *testing.T) {
	ctx := context.Background()
	db := mvtest.MustDB(t)
	cfg, err := engine.LoadConfig(ctx, db, map[string]string{"httpapikey": "oldkey1", "trustlanip": "true", "usemainaport": "False"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIKey != "oldkey1" || !cfg.TrustLAN || cfg.Int("usemainaport") != 0 {
		t.Fatalf("apiv2key %q trustlan %v usemainaport %q", cfg.APIKey, cfg.TrustLAN, cfg.Get("usemainaport"))
	}
	if o, ok := engine.LookupOption("HttpApiKey"); !ok || o.Name != "apiv2key" {
		t.Fatal("httpapikey is not known as apiv2key")
	}
	// The new name wins over the old one given in the same place.
	cfg, err = engine.LoadConfig(ctx, db, map[string]string{"httpapikey": "old", "apiv2key": "new"})
	if err != nil || cfg.APIKey != "new" {
		t.Fatalf("both names: %v %q", err, cfg.APIKey)
	}
	// In tb_globalconfig the old name counts too (a Mizu database).
	mvtest.MustExec(t, db, "DELETE FROM tb_globalconfig WHERE name = 'apiv2key'")
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('httpapikey', 'fromdb')")
	if cfg, err = engine.LoadConfig(ctx, db, nil); err != nil || cfg.APIKey != "fromdb" {
		t.Fatalf("tb_globalconfig httpapikey: %v %q", err, cfg.APIKey)
	}
	t.Setenv("MVAPI_TRUSTLANIP", "false")
	if cfg, err = engine.LoadConfig(ctx, db, nil); err != nil || cfg.TrustLAN {
		t.Fatalf("env trustlanip=false: %v", err)
	}

	for _, bad := range []struct{ name, value, want string }{
		{"apideftrustadmin", "7", "want 0 to 4"},
		{"apidefneedlogin", "9", "want 0 to 5"},
		{"remoteadmin", "9", "want 0 to 5"},
		{"allowtrustedip", "-1", "want 0 to 4"},
		{"apiv2auth", "3", "want one of 0, 2, 4, 6"},
		{"mainaportudp", "-2", "want -1 to 65535"},
		{"trustlanip", "maybe", "want 0 or 1"},
	} {
		// --set
		_, err := engine.LoadConfig(ctx, db, map[string]string{bad.name: bad.value})
		if err == nil || !strings.Contains(err.Error(), bad.name+`="`+bad.value+`" (from --set): `+bad.want) {
			t.Errorf("--set %s=%s: %v", bad.name, bad.value, err)
		}
		// the environment
		env := "MVAPI_" + strings.ToUpper(bad.name)
		t.Setenv(env, bad.value)
		_, err = engine.LoadConfig(ctx, db, nil)
		if err == nil || !strings.Contains(err.Error(), "(from "+env+"): "+bad.want) {
			t.Errorf("%s=%s: %v", env, bad.value, err)
		}
	}
}

// A range violation in tb_globalconfig stops a reload: the old config
// stays in force.
func TestReloadRefusesAValueOutOfRange(t *testing.T) {
	db := mvtest.MustDB(t)
	e := mvtest.MustEngine(t, db, nil)
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('apideftrustadmin', '7')")
	got := serve(e, "127.0.0.1", "apientry", "reload")
	if !strings.HasPrefix(got, "ERROR: reload failed, old config kept: ") || !strings.Contains(got, `apideftrustadmin="7" (from tb_globalconfig): want 0 to 4`) {
		t.Fatalf("reload: %q", got)
	}
	if e.Config().DefTrustAdmin != 1 {
		t.Fatal("old config not kept")
	}
	if _, err := engine.LoadConfig(context.Background(), db, nil); err == nil {
		t.Fatal("tb_globalconfig apideftrustadmin=7 accepted")
	}
}
