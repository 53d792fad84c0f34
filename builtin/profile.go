package builtin

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// Profile entries: search, cli, addcallbacknumber, callforward,
// callbackaccessnumber and sendccinfo.

func registerProfile(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "search", Params: []string{"search", "maxcount"}, Handler: searchUsers,
			Doc: "Find users by username or name: users among their own reseller's endusers, admins everyone."},
		{Name: "cli", Params: []string{"num"}, Handler: addCLI, NeedsUser: true,
			Doc: "Add a pinless caller id (ANI) to the caller's account; one number belongs to one user."},
		{Name: "addcallbacknumber", Params: []string{"num"}, Handler: addCallbackNumber, NeedsUser: true,
			Doc: "Set the caller's callback number (used by callback without num)."},
		{Name: "callforward", Params: []string{"anum", "bnum", "cnum"}, Handler: callForward, NeedsUser: true,
			Doc: "Set call forwarding: anum always, bnum on busy, cnum on no answer; an empty value clears."},
		{Name: "callbackaccessnumber", Handler: callbackAccessNumber,
			Doc: "The number to dial for callback (global config callbackaccessnumber)."},
		{Name: "sendccinfo", Handler: sendCCInfo, NeedsUser: true,
			Doc: "The caller's calling card details: username, PIN, access number and credit."},
	} {
		b.Access = engine.UserAPI
		reg.Add(b)
	}
}

func searchUsers(ctx context.Context, c *engine.Call) (format.Result, error) {
	term := firstParam(c, "search", "txt", "username", "name")
	if len([]rune(term)) < 2 || len(term) > 64 {
		return engine.Errorf("missing parameter: search (2 to 64 characters of a username or name)"), nil
	}
	limit := 20
	if s := c.Param("maxcount"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return engine.Errorf("bad maxcount %q: use 1 to 100", clipText(s, 20)), nil
		}
		limit = n
	}
	db := c.ReadDB()
	d := db.Dialect
	like := d.LikeEscape(strings.ToLower(term))
	args := []any{like + "%", "%" + like + "%"}
	cols := []string{"id", "username", "name", "email", "phone", "type", "credit", "enabled"}
	if !c.Admin {
		if c.User == nil {
			return format.Result{}, engine.ErrNeedsUser
		}
		args = append(args, c.User.ParentID)
		cols = []string{"username", "name"}
	}
	rows, err := db.QueryxContext(ctx, userSearchSQL(d, cols, !c.Admin, limit), args...)
	if err != nil {
		return format.Result{}, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return format.Result{}, err
		}
		row := make([]string, 0, len(cols)+1)
		for _, v := range vals[:len(cols)] {
			row = append(row, cellText(v))
		}
		u := &engine.User{}
		u.Status, _ = strconv.Atoi(cellText(vals[len(cols)]))
		if t, ok := vals[len(cols)+1].(time.Time); ok {
			u.StatusDate = sql.NullTime{Time: t, Valid: true}
		}
		row = append(row, strconv.Itoa(UserStatus(u, c.Config)))
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return format.Result{}, err
	}
	return table(strconv.Itoa(len(out))+" users", append(cols, "status"), out), nil
}

func addCLI(ctx context.Context, c *engine.Call) (format.Result, error) {
	num, err := phoneNumber("num", firstParam(c, "num", "anum", "cli"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	db := c.DB()
	d := db.Dialect
	var owner int64
	err = db.GetContext(ctx, &owner, cliOwnerSQL(d), num)
	switch {
	case err == nil && owner == c.User.ID:
		return engine.OK("cli already added: " + num), nil
	case err == nil:
		return engine.Errorf("number %s already belongs to another account", num), nil
	case !errors.Is(err, sql.ErrNoRows):
		return format.Result{}, err
	}
	var n int
	if err := db.GetContext(ctx, &n, cliCountSQL(d), c.User.ID); err != nil {
		return format.Result{}, err
	}
	if n >= 20 {
		return engine.Errorf("you have 20 pinless numbers, the most allowed: ask support to remove one"), nil
	}
	if _, err := db.ExecContext(ctx, cliInsertSQL(d), c.User.ID, num, utcNow()); err != nil {
		if isUnique(err) {
			return engine.Errorf("number %s already belongs to another account", num), nil
		}
		return format.Result{}, err
	}
	return engine.OK("cli added: " + num), nil
}

func addCallbackNumber(ctx context.Context, c *engine.Call) (format.Result, error) {
	num, err := phoneNumber("num", firstParam(c, "num", "anum"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	db := c.DB()
	if _, err := db.ExecContext(ctx, setCallbackNumberSQL(db.Dialect), num, c.User.ID); err != nil {
		return format.Result{}, err
	}
	return engine.OK("callback number set: " + num), nil
}

var forwardRE = regexp.MustCompile(`^\+?[A-Za-z0-9_.@-]{1,64}$`)

func callForward(ctx context.Context, c *engine.Call) (format.Result, error) {
	var sets []string
	var args []any
	for _, f := range []struct{ param, column string }{{"anum", "forwardalways"}, {"bnum", "forwardonbusy"}, {"cnum", "forwardonnoanswer"}} {
		if !c.Req.Params.Has(f.param) {
			continue
		}
		v := strings.TrimSpace(c.Param(f.param))
		if v != "" && !forwardRE.MatchString(v) {
			return engine.Errorf("bad %s %q: a number or username", f.param, clipText(v, 24)), nil
		}
		sets = append(sets, f.column)
		args = append(args, v)
	}
	if len(sets) == 0 {
		return engine.Errorf("missing parameter: anum (forward always), bnum (on busy) or cnum (on no answer)"), nil
	}
	db := c.DB()
	d := db.Dialect
	if _, err := db.ExecContext(ctx, callForwardSQL(d, sets), append(args, c.User.ID)...); err != nil {
		return format.Result{}, err
	}
	var always, busy, noanswer string
	if err := db.QueryRowxContext(ctx, forwardsSQL(d), c.User.ID).Scan(&always, &busy, &noanswer); err != nil {
		return format.Result{}, err
	}
	return engine.OK("callforward always=" + always + ", busy=" + busy + ", noanswer=" + noanswer), nil
}

func callbackAccessNumber(_ context.Context, c *engine.Call) (format.Result, error) {
	n := strings.TrimSpace(c.Config.Get("callbackaccessnumber"))
	if n == "" {
		return engine.Errorf("no callback access number configured (global config callbackaccessnumber)"), nil
	}
	return engine.OK(n), nil
}

func sendCCInfo(_ context.Context, c *engine.Call) (format.Result, error) {
	u := c.User
	access := strings.TrimSpace(c.Config.Get("callbackaccessnumber"))
	text := "username=" + u.Username + ", pin=" + u.PIN + ", accessnumber=" + access + ", credit=" + money(u.Credit) + " " + u.Currency
	return table(text, []string{"username", "pin", "accessnumber", "credit", "currency"},
		[][]string{{u.Username, u.PIN, access, money(u.Credit), u.Currency}}), nil
}

// userSearchSQL finds users by a username prefix and a name part (two
// LIKE patterns escaped with \\); own limits them to the caller's siblings
// (one more ?). cols come from fixed lists.
func userSearchSQL(d schema.Dialect, cols []string, own bool, limit int) string {
	where := `(LOWER(username) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\')`
	if own {
		where += " AND enabled <> 0 AND type = 0 AND parentid = ?"
	}
	return d.Rebind("SELECT " + d.Top(limit) + strings.Join(cols, ", ") + ", status, statusdate FROM tb_users WHERE " +
		where + " ORDER BY username" + d.Limit(limit))
}

var cliOwnerSQL = schema.Statement("SELECT userid FROM tb_clis WHERE number = ?")

var cliCountSQL = schema.Statement("SELECT COUNT(*) FROM tb_clis WHERE userid = ?")

var cliInsertSQL = schema.Statement("INSERT INTO tb_clis (userid, number, created) VALUES (?, ?, ?)")

var setCallbackNumberSQL = schema.Statement("UPDATE tb_users SET callbacknumber = ? WHERE id = ?")

// callForwardSQL sets the forward columns cols (fixed names) of a user.
func callForwardSQL(d schema.Dialect, cols []string) string {
	return d.Rebind("UPDATE tb_users SET " + strings.Join(cols, " = ?, ") + " = ? WHERE id = ?")
}

var forwardsSQL = schema.Statement("SELECT forwardalways, forwardonbusy, forwardonnoanswer FROM tb_users WHERE id = ?")
