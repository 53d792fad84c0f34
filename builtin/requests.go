package builtin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// Failover-safe money moves. A client may name a request with reqid (the
// WebPhone adds one; HTTP clients may send the Idempotency-Key header,
// which transport/http.go maps to reqid). A money-moving entry that
// commits records (caller, reqid, entry, answer) in tb_requests in the same
// transaction as the credit change, so a retry of a committed request
// answers the stored text and moves no money again. Two duplicates at the
// same time race on the primary key of tb_requests: the loser rolls back
// and answers the winner's text. A COMMIT whose acknowledgement is lost
// answers errOutcomeUnknown: the client retries with the same reqid and
// gets either the original answer or a first execution.

// msgOutcomeUnknown is the answer to a COMMIT whose outcome is unknown.
const msgOutcomeUnknown = "outcome unknown, retry with the same reqid"

// maxReqIDLen bounds a request id (the key column is 100 characters).
const maxReqIDLen = 100

// outcomeUnknown wraps the error of an ambiguous COMMIT (see
// schema.IsAmbiguousCommit) into the answer a client can act on.
func outcomeUnknown(err error) error {
	return &engine.Error{Kind: engine.KindUnavailable, Message: msgOutcomeUnknown, Err: err}
}

// reqKey names one money-moving request for retries; id is "" when the
// client sent none (the move then runs without a record, as before).
type reqKey struct {
	caller, id, entry string
}

// requestKey reads the request id of c: the caller is the user who sent
// the request ("u42"), or the address of a trusted IP acting without a
// user ("ip:10.0.0.1").
func requestKey(c *engine.Call) (reqKey, error) {
	k := reqKey{id: strings.TrimSpace(c.Param("reqid")), entry: c.Req.Entry}
	if c.Entry != nil {
		k.entry = c.Entry.Name
	}
	if k.id == "" {
		return k, nil
	}
	if len(k.id) > maxReqIDLen {
		return k, engine.Fail(engine.KindInvalid, "bad reqid: at most %d characters", maxReqIDLen)
	}
	for i := 0; i < len(k.id); i++ {
		if b := k.id[i]; b < 0x21 || b > 0x7e {
			return k, engine.Fail(engine.KindInvalid, "bad reqid: use printable ASCII without spaces")
		}
	}
	switch {
	case c.Caller != nil:
		k.caller = "u" + strconv.FormatInt(c.Caller.ID, 10)
	case c.User != nil:
		k.caller = "u" + strconv.FormatInt(c.User.ID, 10)
	default:
		k.caller = "ip:" + c.Req.RemoteIP.String()
	}
	return k, nil
}

// stored returns the answer recorded for k, if any.
func (k reqKey) stored(ctx context.Context, db *schema.DB) (format.Result, bool, error) {
	var entry, answer string
	err := db.QueryRowxContext(ctx, requestGetSQL(db.Dialect), k.caller, k.id).Scan(&entry, &answer)
	if errors.Is(err, sql.ErrNoRows) {
		return format.Result{}, false, nil
	}
	if err != nil {
		return format.Result{}, false, fmt.Errorf("look up reqid: %w", err)
	}
	if !strings.EqualFold(entry, k.entry) {
		return engine.Errorf("reqid %s was already used for %s: send a new reqid", clipText(k.id, 40), entry), true, nil
	}
	return engine.Shaped(answer), true, nil
}

// moneyTx runs fn, a money move, in one transaction at most once per
// request id. fn gets the request id to log (tb_creditlog.reqid) and
// returns the success text (without "OK: "), which is recorded with the
// move and answered. An error of fn is returned as it is (the caller
// answers errNoFunds and the like), unless a duplicate of the request
// committed meanwhile: then its answer is returned. A bad reqid is a
// KindInvalid error, an ambiguous COMMIT errOutcomeUnknown.
func moneyTx(ctx context.Context, c *engine.Call, fn func(tx *sqlx.Tx, reqid string) (string, error)) (format.Result, error) {
	k, err := requestKey(c)
	if err != nil {
		return format.Result{}, err
	}
	db := c.DB()
	if k.id != "" {
		if res, ok, err := k.stored(ctx, db); err != nil || ok {
			return res, err
		}
	}
	var text string
	err = inTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		if text, err = fn(tx, k.id); err != nil {
			return err
		}
		if k.id == "" {
			return nil
		}
		_, err = tx.ExecContext(ctx, requestPutSQL(db.Dialect), k.caller, k.id, k.entry, "OK: "+text, utcNow())
		return err
	})
	if err != nil && k.id != "" && engine.ErrorKind(err) != engine.KindUnavailable && ctx.Err() == nil {
		// A duplicate that committed first (a unique violation here, or
		// the PIN already used by it): answer as it did.
		if res, ok, lerr := k.stored(ctx, db); lerr == nil && ok {
			return res, nil
		}
		if schema.IsUniqueViolation(err) {
			return format.Result{}, engine.Fail(engine.KindBusy, "a request with reqid %s is in progress: retry", clipText(k.id, 40))
		}
	}
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK(text), nil
}

var requestGetSQL = schema.Statement("SELECT entry, answer FROM tb_requests WHERE caller = ? AND reqid = ?")

var requestPutSQL = schema.Statement("INSERT INTO tb_requests (caller, reqid, entry, answer, datum) VALUES (?, ?, ?, ?, ?)")
