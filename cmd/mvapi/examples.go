package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"mvapi/engine"
	"mvapi/fixtures"
	"mvapi/schema"
)

type exampleUser struct {
	Username string `db:"username"`
	Password string `db:"password"`
	Currency string `db:"currency"`
}

// examplesTrusted heads the section of examples that need a trusted IP.
const examplesTrusted = "Examples that need a trusted IP (loopback, trustediplist, or apiv2ipauth for newuseri) besides the admin's authmd5:"

// examplesConditional heads the section of examples that work only once
// the server is configured for them (tests stop reading there).
const examplesConditional = "Examples that need configuration first:"

// printExamples prints working requests for this server, one for every
// example request of the reference (its "Generate API examples"): apitest1,
// balance in its three authentication forms, callback, p2p, sms, rating,
// charge, addcredit, newuseru, newuseri, cdr and db, with authmd5 computed
// for real users, and says which need a trusted IP.
func printExamples(ctx context.Context, w io.Writer, db *schema.DB, cfg *engine.Config, base string) error {
	var user, admin exampleUser
	d := db.Dialect
	q := exampleUserSQL(d)
	userErr := db.GetContext(ctx, &user, q, engine.TypeEndUser)
	adminErr := db.GetContext(ctx, &admin, q, engine.TypeAdmin)
	suffix, serr := fixtures.RandomDigits(6)
	if serr != nil {
		return serr
	}
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
	with := func(u exampleUser, kv ...string) []string { return append(auth(u), kv...) }
	show := func(title, u string) {
		fmt.Fprintf(w, "  %s:\n", title)
		fmt.Fprintln(w, "   ", u)
	}
	var later []string // examples that need configuration: title, then URL
	// The secrets a new operator needs, labelled, once (the examples
	// below carry the key inside their URLs only).
	fmt.Fprintf(w, "KEY (authkey, apiv2key): %s\n", cfg.APIKey)
	if adminErr == nil {
		fmt.Fprintf(w, "Admin user: %s\nAdmin password: %s\n", admin.Username, admin.Password)
	}
	fmt.Fprintln(w, "Example requests (each answers OK; authmd5 is computed, authsalt is the client's random salt):")
	show("API test, no authentication", link("apitest1"))
	if userErr == nil {
		later = append(later, "Credit of "+user.Username+" by username alone (only when balance is made public in tb_api and apiv2key is empty; not for production)",
			link("balance", "authid", user.Username))
		show("Credit of user "+user.Username+", password in clear text (not recommended)",
			link("balance", "authkey", cfg.APIKey, "authid", user.Username, "authpwd", user.Password))
		show("Credit of user "+user.Username+" with authmd5 (recommended)", link("balance", auth(user)...))
		show("Callback (queued for the switch)", link("callback", with(user, "anum", "3611111111", "ivr", "-1")...))
		show("Phone to phone call (queued for the switch)", link("p2p", with(user, "anum", "3611111111", "bnum", "3622222222")...))
		sms := link("sms", with(user, "anum", user.Username, "bnum", "3633333333", "txt", "hello from mvapi")...)
		if cfg.Get("smsgatewayurl") != "" {
			show("Send an SMS (through the outbox)", sms)
		} else {
			later = append(later, "Send an SMS (set smsgatewayurl first)", sms)
		}
		var prefix string
		if db.GetContext(ctx, &prefix, examplePrefixSQL(d)) == nil {
			show("Rate to a number", link("rating", with(user, "bnum", prefix+"123456")...))
		}
		var pin string
		if db.GetContext(ctx, &pin, examplePINSQL(d), user.Currency) == nil {
			show("Recharge with a PIN code (each PIN works once)", link("charge", with(user, "anum", pin, "now", "")...))
		} else {
			later = append(later, "Recharge with a PIN code (add an unused PIN to tb_pins first)", link("charge", with(user, "anum", "PINCODE", "now", "")...))
		}
		show("Call records of today", link("cdr", with(user, "days", "today")...))
		show("Own status, as JSON", link("status", with(user, "format", "json")...))
		show("Custom entry from tb_api (lastcalls), as XML", link("lastcalls", with(user, "format", "xml")...))
	}
	show("New user from an untrusted device (api key only)", link("newuseru", "authkey", cfg.APIKey,
		"u_username", "web"+suffix, "u_password", "Pw"+suffix, "u_name", "Web User", "u_email", "web"+suffix+"@example.com",
		"u_currency", "USD", "now", "415"))
	if adminErr == nil {
		show("Admin "+admin.Username+": version", link("version", auth(admin)...))
		show("Admin "+admin.Username+": apireload", link("apireload", auth(admin)...))
		show("Registered users (admin)", link("reguser", with(admin, "usr", "all")...))
		show("DB query (admin credentials in the request)", link("db", with(admin, "txt", "SELECT "+d.Top(1)+"username FROM tb_users"+d.Limit(1))...))
		fmt.Fprintln(w, examplesTrusted)
		if userErr == nil {
			show("Add credit to "+user.Username, link("addcredit", with(admin, "pin", user.Username, "credit", "1")...))
		}
		show("New user from a trusted source, with credit", link("newuseri", with(admin,
			"u_username", "srv"+suffix, "u_password", "Pw"+suffix, "u_name", "Server User", "u_currency", "USD",
			"credit", "5", "now", "555")...))
	}
	if len(later) > 0 {
		fmt.Fprintln(w, examplesConditional)
		for i := 0; i+1 < len(later); i += 2 {
			show(later[i], later[i+1])
		}
	}
	return err
}

// workingExamples cuts the examples that need configuration off printed
// examples, and those that need a trusted IP unless trusted.
func workingExamples(out string, trusted bool) string {
	before, _, _ := strings.Cut(out, examplesConditional)
	if !trusted {
		before, _, _ = strings.Cut(before, examplesTrusted)
	}
	return before
}

// exampleUserSQL selects the first enabled user of a type (?).
var exampleUserSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(1) + "username, password, currency FROM tb_users WHERE type = ? AND enabled <> 0 AND temporarydisabled = 0 ORDER BY id" + d.Limit(1))
})

// examplePrefixSQL selects the longest rate prefix.
var examplePrefixSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(1) + "prefix FROM tb_rates ORDER BY " + d.Length("prefix") + " DESC, prefix" + d.Limit(1))
})

// examplePINSQL selects an unused PIN of the user's currency (?).
var examplePINSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(1) + "pin FROM tb_pins WHERE usedby IS NULL AND enabled <> 0 AND (currency = ? OR currency = '') ORDER BY id" + d.Limit(1))
})
