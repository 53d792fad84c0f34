package builtin

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// Credit movements: recharge PINs (charge), transfers between users
// (transfercredit) and admin top-ups (addcredit). Each runs in one
// transaction with conditional updates, so racing requests can neither use a
// PIN twice nor overdraw a prepaid account.

func registerCredit(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "charge", Access: engine.UserAPI, Params: []string{"pin"}, Handler: charge, NeedsUser: true,
		Doc: "Recharge with a PIN of tb_pins (pin, or anum as in the reference example); a PIN is used once.",
	})
	reg.Add(engine.Builtin{
		Name: "recharge", Access: engine.UserAPI, Params: []string{"pin"}, Handler: charge, NeedsUser: true,
		Doc: "The WebPhone's name of charge: recharge with a PIN of tb_pins (pin or anum).",
	})
	reg.Add(engine.Builtin{
		Name: "transfercredit", Access: engine.UserAPI, Params: []string{"username", "credit"}, Handler: transferCredit, NeedsUser: true,
		Doc: "Move credit from the caller to another user of the same currency, in one transaction.",
	})
	reg.Add(engine.Builtin{
		Name: "addcredit", Access: engine.AdminAPI, Params: []string{"pin", "credit"}, Handler: addCredit,
		Doc: "Add (with a leading minus: take) credit of the user named by pin (username or PIN); admins and trusted IPs.",
	})
}

var pinRE = regexp.MustCompile(`^[A-Za-z0-9-]{4,40}$`)

// msgPinUnusable answers every PIN that cannot be used, whatever the reason.
const msgPinUnusable = "pin not usable: unknown, used, disabled or expired"

var (
	errPinUnusable = errors.New("pin not usable")
	errPinCurrency = errors.New("pin currency differs")
)

func charge(ctx context.Context, c *engine.Call) (format.Result, error) {
	pin := firstParam(c, "pin", "anum")
	if pin == "" {
		return engine.Errorf("missing parameter: pin (the recharge PIN)"), nil
	}
	if !pinRE.MatchString(pin) {
		return engine.Failf(engine.KindAuth, msgPinUnusable), nil
	}
	db, u := c.DB(), c.User
	d := db.Dialect
	var value, credit float64
	var cur string
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		now := utcNow()
		res, err := tx.ExecContext(ctx, pinClaimSQL(d), u.ID, now, pin, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errPinUnusable
		}
		if err := tx.QueryRowxContext(ctx, pinValueSQL(d), pin).Scan(&value, &cur); err != nil {
			return err
		}
		if cur != "" && !strings.EqualFold(cur, u.Currency) {
			return errPinCurrency // rolled back: the PIN stays unused
		}
		if err := changeCredit(ctx, tx, d, u.ID, value); err != nil {
			return err
		}
		if err := logCredit(ctx, tx, d, u.ID, value, "charge", 0, "pin:"+maskPIN(pin)); err != nil {
			return err
		}
		credit, err = creditOf(ctx, tx, d, u.ID)
		return err
	})
	switch {
	case errors.Is(err, errPinUnusable):
		// A wrong PIN is a failed guess: KindAuth counts it towards the
		// lockout of the IP and of the user, like a failed password.
		return engine.Failf(engine.KindAuth, msgPinUnusable), nil
	case errors.Is(err, errPinCurrency):
		return engine.Errorf("pin is in %s, your account in %s: ask support for a %s PIN", cur, u.Currency, u.Currency), nil
	case err != nil:
		return format.Result{}, err
	}
	return engine.OK("charged " + money(value) + " " + u.Currency + "; your credit is " + money(credit)), nil
}

// maskPIN keeps the last 4 characters of a PIN for the credit log.
func maskPIN(pin string) string {
	if len(pin) <= 4 {
		return pin
	}
	return strings.Repeat("*", len(pin)-4) + pin[len(pin)-4:]
}

func transferCredit(ctx context.Context, c *engine.Call) (format.Result, error) {
	name := firstParam(c, "username", "bnum")
	if name == "" {
		return engine.Errorf("missing parameter: username (who receives the credit)"), nil
	}
	max, _ := strconv.ParseFloat(c.Config.Get("maxtransfercredit"), 64)
	amount, err := parseAmount("credit", c.Param("credit"), max)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	db, u := c.DB(), c.User
	to, err := findAccount(ctx, db, name, false)
	if err != nil {
		return format.Result{}, err
	}
	switch {
	case to == nil || !to.Enabled:
		return engine.Errorf("no such user: %s", clipText(name, 64)), nil
	case to.ID == u.ID:
		return engine.Errorf("cannot transfer credit to yourself"), nil
	case !strings.EqualFold(to.Currency, u.Currency):
		return engine.Errorf("%s keeps credit in %s, you in %s: transfers need one currency", to.Username, to.Currency, u.Currency), nil
	}
	d := db.Dialect
	var credit float64
	err = inTx(ctx, db, func(tx *sqlx.Tx) error {
		// Rows are changed in id order so that two opposite transfers
		// cannot deadlock on a server database.
		steps := []struct {
			id     int64
			amount float64
		}{{u.ID, -amount}, {to.ID, amount}}
		if to.ID < u.ID {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, s := range steps {
			if err := changeCredit(ctx, tx, d, s.id, s.amount); err != nil {
				return err
			}
		}
		if err := logCredit(ctx, tx, d, u.ID, -amount, "transfer", to.ID, ""); err != nil {
			return err
		}
		if err := logCredit(ctx, tx, d, to.ID, amount, "transfer", u.ID, ""); err != nil {
			return err
		}
		credit, err = creditOf(ctx, tx, d, u.ID)
		return err
	})
	if errors.Is(err, errNoFunds) {
		return engine.Errorf("not enough credit for a transfer of %s %s", money(amount), u.Currency), nil
	}
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK("transferred " + money(amount) + " " + u.Currency + " to " + to.Username + "; your credit is " + money(credit)), nil
}

func addCredit(ctx context.Context, c *engine.Call) (format.Result, error) {
	name := firstParam(c, "pin", "username")
	if name == "" {
		return engine.Errorf("missing parameter: pin (the username or PIN of the user to credit)"), nil
	}
	raw := strings.TrimSpace(c.Param("credit"))
	sign := 1.0
	if strings.HasPrefix(raw, "-") {
		sign, raw = -1, raw[1:]
	}
	amount, err := parseAmount("credit", raw, 0)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	amount *= sign
	db := c.DB()
	to, err := findAccount(ctx, db, name, true)
	if err != nil {
		return format.Result{}, err
	}
	if to == nil {
		return engine.Errorf("no such user: %s", clipText(name, 64)), nil
	}
	var by int64
	if c.User != nil {
		by = c.User.ID
	}
	d := db.Dialect
	var credit float64
	err = inTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := changeCredit(ctx, tx, d, to.ID, amount); err != nil {
			return err
		}
		if err := logCredit(ctx, tx, d, to.ID, amount, "addcredit", by, c.Req.RemoteIP.String()); err != nil {
			return err
		}
		credit, err = creditOf(ctx, tx, d, to.ID)
		return err
	})
	if errors.Is(err, errNoFunds) {
		return engine.Errorf("%s has less than %s %s: a prepaid credit cannot go negative", to.Username, money(-amount), to.Currency), nil
	}
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK("credit of " + to.Username + " changed by " + money(amount) + " " + to.Currency + "; new credit " + money(credit)), nil
}

// pinClaimSQL marks a usable PIN used, once.
var pinClaimSQL = schema.Statement(`UPDATE tb_pins SET usedby = ?, usedat = ?
 WHERE pin = ? AND usedby IS NULL AND enabled <> 0 AND (expires IS NULL OR expires > ?)`)

var pinValueSQL = schema.Statement("SELECT value, currency FROM tb_pins WHERE pin = ?")
