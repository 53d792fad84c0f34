package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// leanPackedSQLite are the lean columns on SQLite in two result columns:
// the integers and the text packed into one TEXT value by SQLite, and the
// credit as its own number (its exact binary value; SQLite's text of a
// REAL is rounded). The SQLite driver does several calls per column and
// row under the connection's mutex (name, type, value) and database/sql
// converts each column again: 2 columns instead of 10 take about a third
// off the user lookup, the one query of a balance request. The packed
// value is
//
//	id,type,enabled,temporarydisabled,postpaid,LU,LP,LN,username password pin currency
//
// with LU, LP and LN the byte lengths (octet_length) of username,
// password and pin, so that any text, commas included, comes back exact;
// currency is the rest. Integers are SQLite's exact decimal text. A value
// the plain columns could not scan (NULL, a fraction in an integer
// column) fails here too (unpackLean).
const leanPackedSQLite = `id || ',' || type || ',' || enabled || ',' || temporarydisabled || ',' || postpaid
 || ',' || octet_length(username) || ',' || octet_length(password) || ',' || octet_length(COALESCE(pin, '')) || ','
 || username || password || COALESCE(pin, '') || currency AS a, +credit AS b FROM tb_users`

// scanPacked runs st, a query of leanPackedSQLite, with arg and reads the
// user into u.
func scanPacked(ctx context.Context, st *lookupStmt, arg any, u *User) error {
	var packed string
	if err := st.Scan(ctx, arg, &packed, &u.Credit); err != nil {
		return err
	}
	return unpackLean(packed, u)
}

var errPacked = errors.New("malformed packed user row")

// unpackLean fills u's lean fields but Credit from a value of
// leanPackedSQLite. The strings share packed's memory.
func unpackLean(packed string, u *User) error {
	var nums [8]int64
	rest := packed
	for i := range nums {
		field, after, ok := strings.Cut(rest, ",")
		if !ok {
			return fmt.Errorf("%w: %d fields", errPacked, i)
		}
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: field %d: %w", errPacked, i+1, err)
		}
		nums[i] = n
		rest = after
	}
	lu, lp, ln := nums[5], nums[6], nums[7]
	if lu < 0 || lp < 0 || ln < 0 || lu+lp+ln > int64(len(rest)) {
		return fmt.Errorf("%w: lengths %d+%d+%d of %d bytes", errPacked, lu, lp, ln, len(rest))
	}
	u.ID, u.Type, u.Enabled, u.TemporaryDisabled, u.Postpaid = nums[0], int(nums[1]), int(nums[2]), int(nums[3]), int(nums[4])
	u.Username, rest = rest[:lu], rest[lu:]
	u.Password, rest = rest[:lp], rest[lp:]
	u.PIN, u.Currency = rest[:ln], rest[ln:]
	return nil
}
