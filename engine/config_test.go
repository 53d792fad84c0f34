package engine_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

func TestConfigPrecedence(t *testing.T) {
	db := mvtest.MustDB(t)
	ctx := context.Background()
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('mincreditonroute', '1.5'), ('sqltimeout', '7'), ('apiv2md5salt', 'fromdb')")
	t.Setenv("MVAPI_SQLTIMEOUT", "9")
	t.Setenv("MVAPI_APIV2MD5SALT", "fromenv")
	cfg, err := engine.LoadConfig(ctx, db, map[string]string{"apiv2md5salt": "fromset"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinCreditOnRoute != 1.5 || cfg.SQLTimeout != 9 || cfg.MD5Salt != "fromset" {
		t.Fatalf("got mincredit=%v sqltimeout=%d salt=%q", cfg.MinCreditOnRoute, cfg.SQLTimeout, cfg.MD5Salt)
	}
	if cfg.APIKey == "" || len(cfg.APIKey) != 8 {
		t.Fatalf("first start api key %q", cfg.APIKey)
	}
	if cfg.Int("allowtrustedip") != 3 || cfg.TrustLAN {
		t.Fatal("defaults not applied")
	}
}

func TestConfigBadValuesNameTheOption(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('httpstrictresponse', 'maybe')")
	_, err := engine.LoadConfig(context.Background(), db, map[string]string{"trustediplist": "10.0.0.0/33", "ratelimitentries": "sendsms=1/5,rating:50"})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{`httpstrictresponse="maybe" (from tb_globalconfig): want 0 or 1`, `trustediplist="10.0.0.0/33" (from --set): bad CIDR`,
		`ratelimitentries="sendsms=1/5,rating:50" (from --set): "rating:50": want entry=rate or entry=rate/burst`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\n lacks %q", err, want)
		}
	}
}

func TestReloadEntryRereadsConfig(t *testing.T) {
	db := mvtest.MustDB(t)
	e := mvtest.MustEngine(t, db, nil)
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('apiv2md5salt', 'new')")
	if got := serve(e, "127.0.0.1", "apientry", "reload"); got != "OK: config reloaded" {
		t.Fatal(got)
	}
	if e.Config().MD5Salt != "new" {
		t.Fatal("reload did not re-read tb_globalconfig")
	}
	mvtest.MustExec(t, db, "UPDATE tb_globalconfig SET value = 'x' WHERE name = 'apiv2key'")
	mvtest.MustExec(t, db, "INSERT INTO tb_globalconfig (name, value) VALUES ('allowtrustedip', 'many')")
	if got := serve(e, "127.0.0.1", "apientry", "reload"); !strings.HasPrefix(got, "ERROR: reload failed, old config kept: ") {
		t.Fatal(got)
	}
	if e.Config().APIKey == "x" {
		t.Fatal("bad reload replaced the config")
	}
}

func TestParseIPList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		fail bool
	}{{"", 0, false}, {"1.2.3.4", 1, false}, {"1.2.3.4, 10.0.0.0/8;::1", 3, false}, {"1.2.3", 0, true}, {"10.0.0.0/40", 0, true}} {
		got, err := engine.ParseIPList(tc.in)
		if (err != nil) != tc.fail || len(got) != tc.n {
			t.Errorf("ParseIPList(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestREADMEDocumentsEveryOption(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range engine.ConfigOptions {
		if !strings.Contains(string(readme), "| `"+o.Name+"` |") {
			t.Errorf("README.md's option table lacks %s", o.Name)
		}
	}
}
