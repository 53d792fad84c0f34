package builtin

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// The phone number pool (tb_phonenumbers): getphonenumber lists free
// numbers, lockphonenumber reserves one for numberlockexpiry seconds (or,
// by an admin for a named user, assigns it for good). A number is taken by
// one conditional UPDATE, so two users racing for it cannot both get it.

func registerNumbers(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "getphonenumber", Access: engine.UserAPI, Params: []string{"count"}, Handler: getPhoneNumber,
		Doc: "Free numbers of the pool: OK: n1,n2,n3 (count, default 1, at most 50).",
	})
	reg.Add(engine.Builtin{
		Name: "lockphonenumber", Access: engine.UserAPI, Params: []string{"num", "username"}, Handler: lockPhoneNumber,
		Doc: "Reserve a free number (num, or any) for numberlockexpiry seconds; admins assign one to username for good.",
	})
}

// maxUserLocks is how many numbers an enduser may hold at once.
const maxUserLocks = 5

// freeNumberSQL is the condition of a number anyone may take at time ?.
const freeNumberSQL = "enabled <> 0 AND (userid IS NULL OR (lockeduntil IS NOT NULL AND lockeduntil < ?))"

func getPhoneNumber(ctx context.Context, c *engine.Call) (format.Result, error) {
	count := 1
	if s := strings.TrimSpace(c.Param("count")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return engine.Errorf("bad count %q: use 1 to 50", clipText(s, 20)), nil
		}
		count = n
	}
	db := c.DB()
	d := db.Dialect
	var nums []string
	err := db.SelectContext(ctx, &nums, freeNumbersSQL(d, count), utcNow())
	if err != nil {
		return format.Result{}, err
	}
	if len(nums) == 0 {
		return engine.Errorf("no free phone number in the pool"), nil
	}
	rows := make([][]string, len(nums))
	for i, n := range nums {
		rows[i] = []string{n}
	}
	return table(strings.Join(nums, ","), []string{"number"}, rows), nil
}

func lockPhoneNumber(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	d := db.Dialect
	now := utcNow()
	holder, permanent, same := int64(0), false, int64(-1)
	var holderName string
	switch name := strings.TrimSpace(c.Param("username")); {
	case name != "" && c.Admin:
		a, err := findAccount(ctx, db, name, false)
		if err != nil {
			return format.Result{}, err
		}
		if a == nil {
			return engine.Errorf("no such user: %s", clipText(name, 64)), nil
		}
		holder, permanent, same, holderName = a.ID, true, a.ID, a.Username
	case name != "" && (c.User == nil || name != c.User.Username):
		return engine.Failf(engine.KindDenied, "access denied: only admins lock numbers for other users"), nil
	case c.User != nil:
		holder, same, holderName = c.User.ID, c.User.ID, c.User.Username
	}
	if !c.Admin && c.User != nil {
		var held int
		if err := db.GetContext(ctx, &held, heldNumbersSQL(d), holder, now); err != nil {
			return format.Result{}, err
		}
		if held >= maxUserLocks {
			return engine.Errorf("you hold %d numbers, the most allowed", held), nil
		}
	}
	var until any
	if !permanent {
		until = now.Add(time.Duration(c.Config.Int("numberlockexpiry")) * time.Second)
	}
	claim := func(num string) (bool, error) {
		r, err := db.ExecContext(ctx, claimNumberSQL(d), holder, until, now, num, now, same)
		if err != nil {
			return false, err
		}
		n, err := r.RowsAffected()
		return n == 1, err
	}
	num := strings.TrimSpace(firstParam(c, "num", "number"))
	if num != "" {
		ok, err := claim(num)
		if err != nil {
			return format.Result{}, err
		}
		if !ok {
			var id int64
			err := db.GetContext(ctx, &id, numberIDSQL(d), num)
			if errors.Is(err, sql.ErrNoRows) {
				return engine.Errorf("number %s is not in the pool", clipText(num, 24)), nil
			}
			return engine.Errorf("number %s is not free", clipText(num, 24)), nil
		}
	} else {
		// Any free number: a number taken between the look and the claim is
		// skipped and the next one tried.
		got := false
		for attempt := 0; attempt < 10 && !got; attempt++ {
			err := db.GetContext(ctx, &num, freeNumbersSQL(d, 1), now)
			if errors.Is(err, sql.ErrNoRows) {
				return engine.Errorf("no free phone number in the pool"), nil
			}
			if err != nil {
				return format.Result{}, err
			}
			if got, err = claim(num); err != nil {
				return format.Result{}, err
			}
		}
		if !got {
			return engine.Failf(engine.KindBusy, "the pool is busy, try again"), nil
		}
	}
	if permanent {
		return engine.OK(num + " assigned to " + holderName), nil
	}
	return engine.OK(num + " locked until " + until.(time.Time).Format("2006-01-02 15:04:05") + " UTC"), nil
}

// freeNumbersSQL selects up to count free numbers at time ?.
func freeNumbersSQL(d schema.Dialect, count int) string {
	return d.Rebind("SELECT " + d.Top(count) + "number FROM tb_phonenumbers WHERE " + freeNumberSQL +
		" ORDER BY number" + d.Limit(count))
}

var heldNumbersSQL = schema.Statement("SELECT COUNT(*) FROM tb_phonenumbers WHERE userid = ? AND (lockeduntil IS NULL OR lockeduntil >= ?)")

// claimNumberSQL takes a number that is free or already the holder's.
var claimNumberSQL = schema.Statement(`UPDATE tb_phonenumbers SET userid = ?, lockeduntil = ?, lockedat = ?
 WHERE number = ? AND (` + freeNumberSQL + ` OR (userid = ? AND lockeduntil IS NOT NULL))`)

var numberIDSQL = schema.Statement("SELECT id FROM tb_phonenumbers WHERE number = ?")
