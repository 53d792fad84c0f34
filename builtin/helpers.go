package builtin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// Helpers shared by the user API built-ins: money amounts, transactions,
// credit movements, user lookups and numbers.

// utcNow is the current time as every statement of the user API stores it.
func utcNow() time.Time { return time.Now().UTC() }

var amountRE = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,4})?$`)

// parseAmount parses a positive money amount of at most 4 decimals (the
// precision of the money columns) and at most max.
func parseAmount(name, s string, max float64) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("missing parameter: %s (an amount such as 5 or 2.50)", name)
	}
	if !amountRE.MatchString(s) {
		return 0, fmt.Errorf("bad %s %q: use a positive number with at most 4 decimals", name, clipText(s, 20))
	}
	v, _ := strconv.ParseFloat(s, 64)
	if v <= 0 {
		return 0, fmt.Errorf("bad %s: must be more than 0", name)
	}
	if max > 0 && v > max {
		return 0, fmt.Errorf("bad %s: at most %s per request", name, money(max))
	}
	return v, nil
}

// inTx runs fn in a transaction (BEGIN IMMEDIATE on SQLite) and commits
// when it returns nil. A COMMIT whose outcome is unknown (the connection
// broke before its acknowledgement, see schema.IsAmbiguousCommit) is
// answered with outcomeUnknown, not as an internal error.
func inTx(ctx context.Context, db *schema.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		if schema.IsAmbiguousCommit(err) {
			return outcomeUnknown(err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// errNoFunds is returned by changeCredit when a debit would make a prepaid
// balance negative.
var errNoFunds = errors.New("not enough credit")

// changeCredit adds amount (negative: a debit) to a user's credit inside tx.
// A debit succeeds only when the credit covers it or the user is postpaid:
// one conditional UPDATE, so concurrent debits can never overdraw.
func changeCredit(ctx context.Context, tx *sqlx.Tx, d schema.Dialect, userID int64, amount float64) error {
	var res sql.Result
	var err error
	if amount < 0 {
		res, err = tx.ExecContext(ctx, creditChangeSQL(d, true), amount, userID, -amount)
	} else {
		res, err = tx.ExecContext(ctx, creditChangeSQL(d, false), amount, userID)
	}
	if err != nil {
		return fmt.Errorf("change credit of user %d: %w", userID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("change credit of user %d: %w", userID, err)
	} else if n != 1 {
		return errNoFunds
	}
	return nil
}

// logCredit records a credit movement in tb_creditlog with the request id
// of the move ("" when the client sent none).
func logCredit(ctx context.Context, tx *sqlx.Tx, d schema.Dialect, userID int64, amount float64, kind string, other int64, ref, reqid string) error {
	_, err := tx.ExecContext(ctx, creditLogSQL(d), utcNow(), userID, amount, kind, other, ref, reqid)
	if err != nil {
		return fmt.Errorf("log credit: %w", err)
	}
	return nil
}

// creditOf reads a user's credit inside tx.
func creditOf(ctx context.Context, tx *sqlx.Tx, d schema.Dialect, userID int64) (float64, error) {
	var v float64
	err := tx.GetContext(ctx, &v, creditOfSQL(d), userID)
	return v, err
}

// account is the part of a tb_users row the user API needs about a user
// other than the caller.
type account struct {
	ID       int64  `db:"id"`
	Username string `db:"username"`
	Type     int    `db:"type"`
	Currency string `db:"currency"`
	Enabled  bool   `db:"enabled"`
	ParentID int64  `db:"parentid"`
	Status   int    `db:"status"`
	StatusAt sql.NullTime
}

// findAccount looks a user up by username, then (byPIN) by PIN; nil when none.
func findAccount(ctx context.Context, db *schema.DB, name string, byPIN bool) (*account, error) {
	wheres := []string{"username = ?"}
	if byPIN {
		wheres = append(wheres, "pin = ? AND pin <> ''")
	}
	for _, w := range wheres {
		a := &account{}
		err := db.QueryRowxContext(ctx, findAccountSQL(db.Dialect, w), name).Scan(
			&a.ID, &a.Username, &a.Type, &a.Currency, &a.ParentID, &a.Status, &a.StatusAt, &a.Enabled)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("find user: %w", err)
		}
		return a, nil
	}
	return nil, nil
}

var numberRE = regexp.MustCompile(`^\+?[0-9]{2,20}$`)

// phoneNumber cleans a number a client sends (spaces, dashes, dots and
// brackets dropped) and checks it is 2 to 20 digits with an optional +.
func phoneNumber(name, s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\t':
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", fmt.Errorf("missing parameter: %s (a phone number)", name)
	}
	if !numberRE.MatchString(s) {
		return "", fmt.Errorf("bad %s %q: use 2 to 20 digits, optionally starting with +", name, clipText(s, 24))
	}
	return s, nil
}

// clipText shortens client text echoed in an answer.
func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// firstParam returns the first of the named parameters that was sent non-empty.
func firstParam(c *engine.Call, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(c.Param(n)); v != "" {
			return v
		}
	}
	return ""
}

// table builds a list answer: "OK: text" with columns and rows.
func table(text string, cols []string, rows [][]string) format.Result {
	res := engine.OK(text)
	res.Columns = cols
	res.Rows = rows
	if res.Rows == nil {
		res.Rows = [][]string{}
	}
	return res
}

// isUnique reports whether err is a unique constraint violation; see
// schema.IsUniqueViolation.
func isUnique(err error) bool { return schema.IsUniqueViolation(err) }

// randomDigits returns n random decimal digits.
func randomDigits(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b), nil
}

// creditChangeSQL adds ? to a user's credit; a debit only while the credit
// covers it or the user is postpaid.
func creditChangeSQL(d schema.Dialect, debit bool) string {
	if debit {
		return d.Rebind(`UPDATE tb_users SET credit = ROUND(credit + ?, 4)
 WHERE id = ? AND (credit >= ? OR postpaid <> 0)`)
	}
	return d.Rebind("UPDATE tb_users SET credit = ROUND(credit + ?, 4) WHERE id = ?")
}

var creditLogSQL = schema.Statement(`INSERT INTO tb_creditlog (datum, userid, amount, kind, otheruserid, ref, reqid)
 VALUES (?, ?, ?, ?, ?, ?, ?)`)

var creditOfSQL = schema.Statement("SELECT credit FROM tb_users WHERE id = ?")

// findAccountSQL selects an account WHERE where (a fixed condition with one ?).
func findAccountSQL(d schema.Dialect, where string) string {
	return d.Rebind(`SELECT id, username, type, currency, parentid, status, statusdate,
 CASE WHEN enabled <> 0 AND temporarydisabled = 0 THEN 1 ELSE 0 END AS enabled FROM tb_users WHERE ` + where)
}
