package builtin

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

func registerMoney(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "balance", Access: engine.UserAPI, Handler: balance, NeedsUser: true,
		Doc: "Credit of the user: Your credit is $9.8 (or Postpaid).",
	})
	reg.Add(engine.Builtin{
		Name: "rating", Access: engine.UserAPI, Params: []string{"bnum"}, Handler: rating,
		Doc: "Rate to a number or prefix by longest prefix match: 0.2 EUR, Destination: NAME.",
	})
}

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}

func balance(_ context.Context, c *engine.Call) (format.Result, error) {
	u := c.User
	if u.Postpaid != 0 {
		return engine.Shaped("Postpaid"), nil
	}
	var buf [32]byte // one allocation: the answer
	if sym, ok := currencySymbols[strings.ToUpper(u.Currency)]; ok {
		return engine.Shaped("Your credit is " + sym + string(appendMoney(buf[:0], u.Credit))), nil
	}
	return engine.Shaped("Your credit is " + string(appendMoney(buf[:0], u.Credit)) + " " + u.Currency), nil
}

// digits normalises a dialled number to its digits: "+36 30-123" → "3630123",
// an international "00" prefix dropped.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimPrefix(b.String(), "00")
}

const maxPrefixLen = 20

func rating(ctx context.Context, c *engine.Call) (format.Result, error) {
	num := c.Param("bnum")
	if num == "" {
		num = c.Param("anum") // some clients send the number as anum
	}
	num = digits(num)
	if num == "" {
		return engine.Errorf("missing parameter: bnum (the called number or prefix)"), nil
	}
	if len(num) > maxPrefixLen {
		num = num[:maxPrefixLen]
	}
	prefixes := make([]any, len(num))
	for i := range num {
		prefixes[i] = num[:i+1]
	}
	db := c.DB()
	var r struct {
		Destination string  `db:"destination"`
		Price       float64 `db:"price"`
		Currency    string  `db:"currency"`
	}
	err := db.QueryRowxContext(ctx, ratingSQL(db.Dialect, len(prefixes)), prefixes...).StructScan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return engine.Failf(engine.KindNotFound, "rate not found for %s", num), nil
	}
	if err != nil {
		return format.Result{}, err
	}
	return engine.Shaped(money(r.Price) + " " + r.Currency + ", Destination: " + r.Destination), nil
}

// ratingSQL finds the longest of n candidate prefixes in tb_rates.
func ratingSQL(d schema.Dialect, n int) string {
	return d.Rebind("SELECT " + d.Top(1) + "destination, price, currency FROM tb_rates WHERE prefix IN (?" +
		strings.Repeat(", ?", n-1) + ") ORDER BY " + d.Length("prefix") + " DESC" + d.Limit(1))
}
