package engine_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/internal/webphone"
)

// FuzzServeQuery decodes arbitrary query text as the HTTP transport does and
// runs it through the whole pipeline: it must never panic (a recovered
// panic answers "internal error") and every answer says OK or ERROR or has
// one of the shapes real clients parse.
func FuzzServeQuery(f *testing.F) {
	db := mvtest.MustDB(f)
	mvtest.MustUser(f, db, engine.NewUser{Username: "fuzzer", Password: "fuzzpass", PIN: "1234"})
	mvtest.MustExec(f, db, "INSERT INTO tb_api (fname, customsql) VALUES ('find', 'SELECT username FROM tb_users WHERE username LIKE ''%[SPARAM1]%'' OR name = {name}')")
	e := mvtest.MustEngine(f, db, map[string]string{"allowtrustedip": "0"})
	if _, err := e.ReloadTable(context.Background()); err != nil {
		f.Fatal(err)
	}
	key := mvtest.APIKey(f, db)
	for _, seed := range []string{
		"apientry=balance&authkey=" + key + "&authid=fuzzer&authpwd=fuzzpass",
		"apientry=find&authkey=" + key + "&authid=fuzzer&authpwd=fuzzpass&sparam1=zz&name=x",
		"apientry=rating&param1=3630&authid=1&authpwd=1234",
		"param1=balance&param2=k&param3=fuzzer&param4=fuzzpass",
		"apientry=preauth", "apientry=apitest1&txt=%00%ff", "mcrfs=" + webphone.EncodeXOR("apientry=apitest1", wire.DefaultXORKey),
		"apientry=balance&authid=fuzzer&authmd5=authv3_00&nonce=0123456789abcdef&authsalt=1",
		"apientry=newuseru&u_username=a&u_password=b", "",
	} {
		f.Add(seed)
	}
	ip := netip.MustParseAddr("203.0.113.50")
	f.Fuzz(func(t *testing.T, query string) {
		params, err := wire.ParseQuery(query, wire.DefaultXORKey)
		if err != nil {
			return
		}
		req := engine.NewRequest(params, ip, "http")
		if req.Entry == "newuseru" || req.Entry == "preauth" {
			return // they write rows; the fuzzer would fill the disk
		}
		res := e.Serve(context.Background(), req)
		if res.Text == "ERROR: internal error" {
			t.Fatalf("query %q panicked in the pipeline", query)
		}
		if !(strings.HasPrefix(res.Text, "OK") || strings.HasPrefix(res.Text, "ERROR: ") ||
			strings.HasPrefix(res.Text, "Your credit is") || strings.Contains(res.Text, ", Destination: ")) {
			t.Fatalf("query %q answered %q", query, res.Text)
		}
		if res.OK == strings.HasPrefix(res.Text, "ERROR") {
			t.Fatalf("query %q: OK=%v but text %q", query, res.OK, res.Text)
		}
	})
}
