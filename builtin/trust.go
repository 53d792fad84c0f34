package builtin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// Trust checks shared by the admin entries (issue 10): what needs an admin
// who proved a password in the request, who may touch a srvadmin, and the
// money values admins write.

// protectedTables hold what the server runs (tb_api customsql and actions,
// scheduled tasks), its global config and its schema version: changing
// them is running SQL or commands by another name, so setfield needs the
// same proof as db (engine.Call.VerifiedAdmin).
var protectedTables = map[string]bool{
	"tb_api": true, "tb_globalconfig": true, "tb_scheduledtasks": true, "goose_db_version": true,
}

// needVerifiedAdmin answers a refusal unless an admin proved a password in
// this request; what names the entry or the change refused.
func needVerifiedAdmin(c *engine.Call, what string) (format.Result, bool) {
	if c.VerifiedAdmin() {
		return format.Result{}, true
	}
	return engine.Failf(engine.KindDenied, "access denied: %s needs an authenticated admin user (authid with authpwd or authmd5)", what), false
}

// srvAdminCaller reports whether the caller is a srvadmin who proved its
// password in this request: only such a caller changes a srvadmin or grants
// the srvadmin level.
func srvAdminCaller(c *engine.Call) bool {
	return c.Verified && c.Caller != nil && c.Caller.Type == engine.TypeSrvAdmin
}

var errNoSuchUser = errors.New("no such user")

// userType reads the type of user id (errNoSuchUser when there is none).
func userType(ctx context.Context, db *schema.DB, id int64) (int, error) {
	var t int
	err := db.QueryRowxContext(ctx, userTypeSQL(db.Dialect), id).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errNoSuchUser
	}
	return t, err
}

var userTypeSQL = schema.Statement("SELECT type FROM tb_users WHERE id = ?")

// checkUserChange refuses an admin that is not a srvadmin changing a
// srvadmin's row or setting a type of srvadmin; field is the tb_users
// column set to value in row id.
func checkUserChange(ctx context.Context, c *engine.Call, id int64, field string, value any) (format.Result, bool, error) {
	if srvAdminCaller(c) {
		return format.Result{}, true, nil
	}
	if strings.EqualFold(field, "type") && fmt.Sprint(value) == strconv.Itoa(engine.TypeSrvAdmin) {
		return engine.Failf(engine.KindDenied, "access denied: only a srvadmin grants the srvadmin level"), false, nil
	}
	t, err := userType(ctx, c.DB(), id)
	if errors.Is(err, errNoSuchUser) {
		return format.Result{}, true, nil // the update answers "no such user"
	}
	if err != nil {
		return format.Result{}, false, err
	}
	if t == engine.TypeSrvAdmin {
		return engine.Failf(engine.KindDenied, "access denied: only a srvadmin changes a srvadmin"), false, nil
	}
	return format.Result{}, true, nil
}

var creditRE = regexp.MustCompile(`^-?[0-9]{1,12}(\.[0-9]{1,4})?$`)

// parseCredit parses a credit an admin writes: a number of at most 12
// digits and 4 decimals (the money columns), negative only when signed.
// NaN, Inf, exponents and hex floats are refused, as parseAmount does for
// transfers.
func parseCredit(name, s string, signed bool) (float64, error) {
	s = strings.TrimSpace(s)
	if !creditRE.MatchString(s) || (!signed && strings.HasPrefix(s, "-")) {
		if signed {
			return 0, fmt.Errorf("bad %s %q: use a number with at most 4 decimals", name, clipText(s, 20))
		}
		return 0, fmt.Errorf("bad %s %q: use a number, not negative, with at most 4 decimals", name, clipText(s, 20))
	}
	v, _ := strconv.ParseFloat(s, 64)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("bad %s: not a number", name)
	}
	return v, nil
}
