package builtin

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

func registerCallRating(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "callrating", Access: engine.UserAPI, Params: []string{"username", "callid"}, Handler: callRating,
		Doc: "Credit, maxduration and rate of a call in progress (tb_currentcalls), or the cost of an ended one.",
	})
}

// callrating reads a call in progress from tb_currentcalls (a table the
// switch maintains, like tb_users.status) and rates it against tb_rates;
// an ended call is answered from tb_cdrs by its SIP Call-ID.

type rate struct {
	Destination string  `db:"destination"`
	Price       float64 `db:"price"`
	Currency    string  `db:"currency"`
}

// lookupRate finds the longest tb_rates prefix of a number (the rating
// entry's rule); sql.ErrNoRows when none matches.
func lookupRate(ctx context.Context, db *schema.DB, number string) (rate, error) {
	var r rate
	num := digits(number)
	if len(num) > maxPrefixLen {
		num = num[:maxPrefixLen]
	}
	if num == "" {
		return r, sql.ErrNoRows
	}
	prefixes := make([]any, len(num))
	for i := range num {
		prefixes[i] = num[:i+1]
	}
	err := db.QueryRowxContext(ctx, ratingSQL(db.Dialect, len(prefixes)), prefixes...).StructScan(&r)
	return r, err
}

func callRating(ctx context.Context, c *engine.Call) (format.Result, error) {
	callid := firstParam(c, "callid")
	if callid == "" {
		return engine.Errorf("missing parameter: callid (the SIP Call-ID of the call)"), nil
	}
	if len(callid) > 256 {
		return engine.Errorf("bad callid: longer than 256 characters"), nil
	}
	db := c.DB()
	d := db.Dialect
	// Whose call: the caller's own; an admin may name any user, or none
	// for any call.
	var owner int64 = -1
	name := c.Param("username")
	switch {
	case name != "" && (c.User == nil || name != c.User.Username):
		if !c.Admin {
			return engine.Errorf("callrating: you can rate only your own calls"), nil
		}
		a, err := findAccount(ctx, db, name, false)
		if err != nil {
			return format.Result{}, err
		}
		if a == nil {
			return engine.Errorf("no such user: %s", clipText(name, 64)), nil
		}
		owner = a.ID
	case c.User != nil && (!c.Admin || name != ""):
		owner = c.User.ID
	}
	var cur struct {
		UserID  int64     `db:"userid"`
		Called  string    `db:"called"`
		Started time.Time `db:"started"`
	}
	err := db.QueryRowxContext(ctx, currentCallSQL(d), callid).StructScan(&cur)
	if err == nil && (owner < 0 || cur.UserID == owner) {
		return rateCurrentCall(ctx, c, cur.UserID, cur.Called, cur.Started)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return format.Result{}, err
	}
	var ended struct {
		CallerID int64   `db:"callerid"`
		Duration int64   `db:"duration"`
		Cost     float64 `db:"cost"`
	}
	err = db.QueryRowxContext(ctx, endedCallSQL(d), callid).StructScan(&ended)
	if err == nil && (owner < 0 || ended.CallerID == owner) {
		return engine.OK("call ended, duration=" + strconv.FormatInt(ended.Duration, 10) + ", cost=" + money(ended.Cost)), nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return format.Result{}, err
	}
	return engine.Errorf("no such call: %s", clipText(callid, 64)), nil
}

func rateCurrentCall(ctx context.Context, c *engine.Call, userID int64, called string, started time.Time) (format.Result, error) {
	db := c.DB()
	var u struct {
		Credit   float64 `db:"credit"`
		Postpaid int     `db:"postpaid"`
		Currency string  `db:"currency"`
	}
	if err := db.QueryRowxContext(ctx, callerCreditSQL(db.Dialect), userID).StructScan(&u); err != nil {
		return format.Result{}, err
	}
	r, err := lookupRate(ctx, db, called)
	if errors.Is(err, sql.ErrNoRows) {
		return engine.Errorf("no rate for the called number %s", clipText(called, 32)), nil
	}
	if err != nil {
		return format.Result{}, err
	}
	maxdur := "unlimited"
	if u.Postpaid == 0 && r.Price > 0 {
		secs := math.Floor(math.Max(u.Credit, 0) / r.Price * 60)
		maxdur = strconv.FormatInt(int64(secs), 10)
	}
	elapsed := int64(time.Since(started).Seconds())
	if elapsed < 0 {
		elapsed = 0
	}
	return engine.OK("credit=" + money(u.Credit) + " " + u.Currency + ", maxduration=" + maxdur +
		", rating=" + money(r.Price) + " " + r.Currency + ", destination=" + r.Destination +
		", elapsed=" + strconv.FormatInt(elapsed, 10)), nil
}

var currentCallSQL = schema.Statement("SELECT userid, called, started FROM tb_currentcalls WHERE callid = ?")

var endedCallSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(1) + "callerid, duration, cost FROM tb_cdrs WHERE sipcallid = ? ORDER BY id DESC" + d.Limit(1))
})

var callerCreditSQL = schema.Statement("SELECT credit, postpaid, currency FROM tb_users WHERE id = ?")
