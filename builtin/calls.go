package builtin

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// Calls: mvapi carries no SIP, so callback, p2p and sendfax write a row to
// the switch request queue (tb_switchrequests) that the switch consumes and
// answer its id. With waitfor the entry polls the row until the switch
// reports on it, for at most switchwaitmax seconds.

// Statuses of a tb_switchrequests row: mvapi writes queued (and cancelled),
// the switch writes the others.
const (
	reqQueued    = 0
	reqTaken     = 1
	reqRinging   = 2
	reqConnected = 3
	reqFinished  = 4
	reqFailed    = 5
	reqCancelled = 6
)

// pollEvery is how often waitfor reads the request row.
var pollEvery = 200 * time.Millisecond

func registerCalls(reg *engine.Registry) {
	access := engine.UserAPI
	access.ReqUserCredit = 2 // at least mincreditonroute, unless postpaid
	for _, b := range []engine.Builtin{
		{Name: "callback", Params: []string{"num", "bnum", "waitfor"}, Handler: callback,
			Doc: "Queue a callback to num (or anum, else the callback number); OK: request N queued."},
		{Name: "p2p", Params: []string{"anum", "bnum", "cnum", "waitfor"}, Handler: p2p,
			Doc: "Queue a phone to phone call anum -> bnum (cnum: caller id shown); waitfor 1 or 2 waits for the result."},
		{Name: "sendfax", Params: []string{"anum", "bnum", "filename"}, Handler: sendFax,
			Doc: "Queue a fax of a file of faxfolder from anum (from) to bnum (to)."},
	} {
		b.Access = access
		reg.Add(b)
	}
}

type switchRequest struct {
	Kind, Anum, Bnum, Cnum, Filename, Options string
}

func enqueue(ctx context.Context, c *engine.Call, r switchRequest) (format.Result, error) {
	var waitfor int
	if s := strings.TrimSpace(c.Param("waitfor")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 2 {
			return engine.Errorf("bad waitfor %q: 0 no wait, 1 until connected or failed, 2 until ended", clipText(s, 10)), nil
		}
		waitfor = n
	}
	db := c.DB()
	var userID int64
	if c.User != nil {
		userID = c.User.ID
	}
	now := utcNow()
	var id int64
	err := db.QueryRowxContext(ctx, switchRequestSQL(db.Dialect),
		r.Kind, userID, r.Anum, r.Bnum, r.Cnum, r.Filename, r.Options, reqQueued, now, now).Scan(&id)
	if err != nil {
		return format.Result{}, err
	}
	sid := strconv.FormatInt(id, 10)
	if waitfor == 0 {
		return engine.OK("request " + sid + " queued"), nil
	}
	return waitRequest(ctx, c, id, waitfor)
}

// waitRequest polls a request until the switch reports what waitfor asks
// for, the bound passes or the client goes away.
func waitRequest(ctx context.Context, c *engine.Call, id int64, waitfor int) (format.Result, error) {
	db := c.DB()
	d := db.Dialect
	sid := strconv.FormatInt(id, 10)
	limit := time.Duration(c.Config.Int("switchwaitmax")) * time.Second
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		var st int
		var result string
		err := db.QueryRowxContext(ctx, switchStatusSQL(d), id).Scan(&st, &result)
		if err != nil && !errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil {
			return format.Result{}, err
		}
		switch {
		case st == reqFailed:
			return engine.Errorf("request %s failed: %s", sid, orDash(result)), nil
		case st == reqCancelled:
			return engine.Errorf("request %s was cancelled", sid), nil
		case st == reqFinished:
			return engine.OK("request " + sid + " ended: " + orDash(result)), nil
		case st == reqConnected && waitfor == 1:
			return engine.OK("request " + sid + " connected"), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	// Not answered in time: a request the switch has not taken is cancelled
	// so that it cannot ring after the client was told it failed.
	r, err := db.ExecContext(context.WithoutCancel(ctx), switchCancelSQL(d),
		reqCancelled, utcNow(), id, reqQueued)
	if err == nil {
		if n, _ := r.RowsAffected(); n == 1 {
			return engine.Errorf("request %s: the switch did not take it within %s; it was cancelled", sid, limit), nil
		}
	}
	return engine.Errorf("request %s: no result within %s; the call may still go on", sid, limit), nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func callback(ctx context.Context, c *engine.Call) (format.Result, error) {
	num := firstParam(c, "num", "anum")
	if num == "" && c.User != nil {
		db := c.DB()
		if err := db.GetContext(ctx, &num, callbackNumberSQL(db.Dialect), c.User.ID); err != nil {
			return format.Result{}, err
		}
	}
	if num == "" {
		return engine.Errorf("missing parameter: num (the number to call back), or set one with addcallbacknumber"), nil
	}
	anum, err := phoneNumber("num", num)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	r := switchRequest{Kind: "callback", Anum: anum}
	if b := c.Param("bnum"); b != "" {
		if r.Bnum, err = phoneNumber("bnum", b); err != nil {
			return engine.Errorf("%v", err), nil
		}
		if res, refused, err := switchCredit(ctx, c, r.Bnum); refused {
			return res, err
		}
	}
	if ivr := c.Param("ivr"); ivr != "" {
		if _, err := strconv.Atoi(ivr); err != nil {
			return engine.Errorf("bad ivr %q: a number", clipText(ivr, 10)), nil
		}
		r.Options = "ivr=" + ivr
	}
	return enqueue(ctx, c, r)
}

func p2p(ctx context.Context, c *engine.Call) (format.Result, error) {
	anum, err := phoneNumber("anum", c.Param("anum"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	bnum, err := phoneNumber("bnum", c.Param("bnum"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	if res, refused, err := switchCredit(ctx, c, bnum); refused {
		return res, err
	}
	r := switchRequest{Kind: "p2p", Anum: anum, Bnum: bnum}
	if s := c.Param("cnum"); s != "" {
		if r.Cnum, err = phoneNumber("cnum", s); err != nil {
			return engine.Errorf("%v", err), nil
		}
	}
	return enqueue(ctx, c, r)
}

func sendFax(ctx context.Context, c *engine.Call) (format.Result, error) {
	folder := strings.TrimSpace(c.Config.Get("faxfolder"))
	if folder == "" {
		return engine.Errorf("sendfax: no fax folder configured (global config faxfolder)"), nil
	}
	bnum, err := phoneNumber("to", c.Param("bnum"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	r := switchRequest{Kind: "sendfax", Bnum: bnum}
	if s := c.Param("anum"); s != "" {
		if r.Anum, err = phoneNumber("from", s); err != nil {
			return engine.Errorf("%v", err), nil
		}
	}
	name := strings.TrimSpace(c.Param("filename"))
	if name == "" {
		return engine.Errorf("missing parameter: filename (a file of the fax folder)"), nil
	}
	if name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || len(name) > 200 {
		return engine.Errorf("bad filename %q: a plain file name of the fax folder", clipText(name, 40)), nil
	}
	root, err := os.OpenRoot(folder)
	if err != nil {
		c.Engine.Logger().Error("sendfax: fax folder", "folder", folder, "err", err)
		return engine.Errorf("sendfax: the fax folder cannot be read; contact support"), nil
	}
	defer root.Close()
	if st, err := root.Stat(name); err != nil || !st.Mode().IsRegular() {
		return engine.Errorf("no such file in the fax folder: %s", name), nil
	}
	r.Filename = name
	return enqueue(ctx, c, r)
}

var switchRequestSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.ReturningID(`INSERT INTO tb_switchrequests
 (kind, userid, anum, bnum, cnum, filename, options, status, result, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`)
})

var switchStatusSQL = schema.Statement("SELECT status, result FROM tb_switchrequests WHERE id = ?")

var switchCancelSQL = schema.Statement("UPDATE tb_switchrequests SET status = ?, updated = ? WHERE id = ? AND status = ?")

var callbackNumberSQL = schema.Statement("SELECT callbacknumber FROM tb_users WHERE id = ?")
