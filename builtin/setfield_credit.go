package builtin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
)

// setCreditField is setfield fieldname=credit: the new credit, its
// tb_creditlog row (kind setfield, the difference, by the caller, from the
// caller's IP) and the audit row are written in one transaction, so a
// credit never changes without its trace.
func setCreditField(ctx context.Context, c *engine.Call, target int64, credit float64) (format.Result, error) {
	db := c.DB()
	d := db.Dialect
	var by int64
	if c.Caller != nil {
		by = c.Caller.ID
	} else if c.User != nil {
		by = c.User.ID
	}
	var old float64
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		if old, err = creditOf(ctx, tx, d, target); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, setUserFieldSQL(d, "credit", false), credit, target); err != nil {
			return err
		}
		if diff := roundTo(credit-old, 4); diff != 0 {
			if err := logCredit(ctx, tx, d, target, diff, "setfield", by, c.Req.RemoteIP.String()); err != nil {
				return err
			}
		}
		return c.AuditTx(ctx, tx, fmt.Sprintf("credit of user %d set to %s (was %s)", target, money(credit), money(old)))
	})
	if errors.Is(err, sql.ErrNoRows) {
		return engine.Errorf("no such user: rowid %d", target), nil
	}
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK("credit updated"), nil
}
