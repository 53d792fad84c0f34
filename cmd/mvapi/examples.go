package main

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"mvapi/engine"
	"mvapi/fixtures"
	"mvapi/schema"
)

type exampleUser struct {
	Username string `db:"username"`
	Password string `db:"password"`
}

// printExamples prints working requests for this server: the reference's
// "Generate API examples", with authmd5 computed for real users.
func printExamples(ctx context.Context, w io.Writer, db *schema.DB, cfg *engine.Config, base string) error {
	var user, admin exampleUser
	d := db.Dialect
	q := exampleUserSQL(d)
	userErr := db.GetContext(ctx, &user, q, engine.TypeEndUser)
	adminErr := db.GetContext(ctx, &admin, q, engine.TypeAdmin)
	link := func(entry string, kv ...string) string {
		v := url.Values{}
		v.Set("apientry", entry)
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return base + "/mvapireq/?" + v.Encode()
	}
	// A fresh salt per example: replayprotect refuses an admin hash seen before.
	var err error
	auth := func(u exampleUser) []string {
		salt, serr := fixtures.RandomDigits(7)
		if serr != nil {
			err = serr
		}
		return []string{"authkey", cfg.APIKey, "authid", u.Username, "authsalt", salt,
			"authmd5", engine.AuthMD5(u.Username, u.Password, cfg.MD5Salt, salt)}
	}
	fmt.Fprintln(w, "Example requests (each answers OK):")
	fmt.Fprintln(w, "  API test, no authentication:")
	fmt.Fprintln(w, "   ", link("apitest1"))
	if userErr == nil {
		fmt.Fprintf(w, "  Credit of user %s, password in clear text:\n", user.Username)
		fmt.Fprintln(w, "   ", link("balance", "authkey", cfg.APIKey, "authid", user.Username, "authpwd", user.Password))
		fmt.Fprintf(w, "  Credit of user %s with authmd5 (recommended):\n", user.Username)
		fmt.Fprintln(w, "   ", link("balance", auth(user)...))
		var prefix string
		if db.GetContext(ctx, &prefix, examplePrefixSQL(d)) == nil {
			fmt.Fprintln(w, "  Rate to a number:")
			fmt.Fprintln(w, "   ", link("rating", append(auth(user), "bnum", prefix+"123456")...))
		}
		fmt.Fprintln(w, "  Own status, as JSON:")
		fmt.Fprintln(w, "   ", link("status", append(auth(user), "format", "json")...))
		fmt.Fprintln(w, "  Custom entry from tb_api (lastcalls), as XML:")
		fmt.Fprintln(w, "   ", link("lastcalls", append(auth(user), "format", "xml")...))
	}
	if adminErr == nil {
		fmt.Fprintf(w, "  Admin %s: version and apireload:\n", admin.Username)
		fmt.Fprintln(w, "   ", link("version", auth(admin)...))
		fmt.Fprintln(w, "   ", link("apireload", auth(admin)...))
	}
	return err
}

// exampleUserSQL selects the first enabled user of a type (?).
var exampleUserSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(1) + "username, password FROM tb_users WHERE type = ? AND enabled <> 0 AND temporarydisabled = 0 ORDER BY id" + d.Limit(1))
})

// examplePrefixSQL selects the longest rate prefix.
var examplePrefixSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(1) + "prefix FROM tb_rates ORDER BY " + d.Length("prefix") + " DESC, prefix" + d.Limit(1))
})
