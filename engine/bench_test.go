package engine_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"mvapi/engine"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
)

// BenchmarkServe measures the pipeline without a socket. "sql-only" runs the
// (lean) user lookup balance does, alone (with a background context), so that the pipeline's own cost is
// balance minus sql-only; apitest1-no-auth runs the pipeline with no SQL.
func BenchmarkServe(b *testing.B) {
	db := mvtest.MustDB(b)
	e := mvtest.MustEngine(b, db, map[string]string{"allowtrustedip": "0"})
	key := mvtest.APIKey(b, db)
	for i := range 1000 {
		mvtest.MustUser(b, db, engine.NewUser{Username: fmt.Sprintf("user%04d", i), Password: "password1", Credit: 10})
	}
	mvtest.MustExec(b, db, "INSERT INTO tb_api (fname, customsql) VALUES ('mycredit', 'SELECT credit FROM tb_users WHERE id = [USERID]')")
	if _, err := e.ReloadTable(context.Background()); err != nil {
		b.Fatal(err)
	}
	ip := netip.MustParseAddr("203.0.113.9")
	params := func(entry string) []wire.Param {
		return []wire.Param{{Name: "apientry", Value: entry}, {Name: "authkey", Value: key}, {Name: "authid", Value: "user0500"},
			{Name: "authsalt", Value: "123456"}, {Name: "authmd5", Value: engine.AuthMD5("user0500", "password1", "", "123456")}}
	}
	cases := map[string][]wire.Param{
		"balance":          params("balance"),
		"mycredit":         params("mycredit"),
		"apitest1-no-auth": {{Name: "apientry", Value: "apitest1"}},
	}
	for name, p := range cases {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				res := e.Serve(ctx, engine.NewRequest(p, ip, "internal"))
				if !res.OK {
					b.Fatal(res.Text)
				}
			}
		})
	}
	b.Run("sql-only", func(b *testing.B) {
		ctx := context.Background()
		stmt, err := db.PreparexContext(ctx, "SELECT id AS a, type AS b, username AS c, password AS d, COALESCE(pin, '') AS e, enabled AS f, temporarydisabled AS g, credit AS h, postpaid AS i, currency AS j FROM tb_users WHERE username = ?")
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		b.ReportAllocs()
		for b.Loop() {
			var u engine.User
			if err := stmt.QueryRowContext(ctx, "user0500").Scan(&u.ID, &u.Type, &u.Username, &u.Password, &u.PIN,
				&u.Enabled, &u.TemporaryDisabled, &u.Credit, &u.Postpaid, &u.Currency); err != nil {
				b.Fatal(err)
			}
		}
	})
}
