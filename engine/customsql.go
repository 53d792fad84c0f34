package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// MaxRows is the most rows a customsql SELECT answers.
const MaxRows = 100

// BindArgs resolves a template's keywords for a call: [USERID] and
// [USERNAME] from the user, [SPARAMn] and {param:name} from the request,
// {name} from the user's fields, or the request where no user field has
// that name (lookupKey). A value that is absent binds NULL.
func (c *Call) BindArgs(t *sqltemplate.Template) []any {
	return t.Args(func(k sqltemplate.Key) (any, bool) {
		switch k.Kind {
		case sqltemplate.UserID:
			if c.User == nil {
				return nil, false
			}
			return c.User.ID, true
		case sqltemplate.UserName:
			if c.User == nil {
				return nil, false
			}
			return c.User.Username, true
		case sqltemplate.SParam, sqltemplate.Param:
			v, ok := c.Req.Params[k.Name]
			return v, ok
		default:
			return c.lookupKey(k.Name)
		}
	})
}

// sqlHandler is the handler of an entry driven by customsql.
func (e *Engine) sqlHandler(t *sqltemplate.Template) Handler {
	multi := len(t.Statements()) > 1
	return func(ctx context.Context, c *Call) (format.Result, error) {
		if multi {
			return e.runStatements(ctx, c, t) // each statement binds its own arguments
		}
		args := c.BindArgs(t)
		timeout := time.Duration(c.Config.SQLTimeout) * time.Second
		if t.ReturnsRows() {
			return e.queryRows(ctx, c, t.SQL(), args, timeout)
		}
		// An outbox success action joins the write's transaction.
		ta, _ := c.Entry.OnSuccess.(TxAction)
		if t.Sync() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			defer e.TrackQuery(c.Entry.Name, t.SQL())()
			n, err := e.execJoined(ctx, c, ta, t.SQL(), args)
			if err != nil {
				return e.sqlError(ctx, c, err)
			}
			c.actedInTx = ta != nil
			return OK(fmt.Sprintf("%d rows affected", n)), nil
		}
		entry := c.Entry.Name
		c.actedInTx = ta != nil
		err := e.pool.submit(func(bg context.Context) {
			ctx, cancel := context.WithTimeout(bg, timeout)
			defer cancel()
			defer e.TrackQuery(entry, t.SQL())()
			if _, err := e.execJoined(ctx, c, ta, t.SQL(), args); err != nil {
				e.log.Error("async customsql failed", "entry", entry, "request", c.Req.ID, "err", err)
				e.status.asyncFailed(entry, "customsql", err)
			}
		})
		if err != nil {
			return Failf(KindBusy, "server busy: %v, try again later", err), nil
		}
		return OK("queued"), nil
	}
}

// queryRows runs a row-returning statement and answers at most MaxRows.
// One row of one column answers "OK: value"; otherwise "OK: N rows" and
// the table, "OK: 100 rows (more not shown)" and Truncated when the
// statement had more.
//
// sqltimeout adds a deadline only when it ends before the request's own
// (requesttimeout), and none to a point read on SQLite, which runs without
// one (entryStmt.pointRead). On SQLite the statement runs prepared on the
// pool's connection (querySQLiteRows), on pgx (schema.Dialect.NativeRows)
// on the driver's own rows (queryDriverRows), and elsewhere, or for a
// readonly row, which may go to the read replica, prepared per entry
// through database/sql (entryStmt).
func (e *Engine) queryRows(ctx context.Context, c *Call, query string, args []any, timeout time.Duration) (format.Result, error) {
	db := c.CustomDB()
	sqlite := db.Dialect == schema.SQLite && !c.Entry.ReadOnly
	if sqlite {
		c.Entry.sqlStmt.checkPlan(ctx, db.DB.DB, query, len(args))
	}
	if dl, ok := ctx.Deadline(); !c.Entry.sqlStmt.pointRead() && (!ok || time.Until(dl) > timeout) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	q := e.queries.start(c.Entry.Name, query)
	defer e.queries.stop(q)
	if sqlite || db.Dialect.NativeRows() && !c.Entry.ReadOnly {
		var res format.Result
		var err error
		if sqlite {
			res, err = querySQLiteRows(ctx, db.DB.DB, query, args, c.Entry.sqlStmt.pointRead())
		} else {
			res, err = queryDriverRows(ctx, db.DB.DB, query, args)
		}
		if err != nil {
			return e.sqlError(ctx, c, err)
		}
		return res, nil
	}
	rows, err := c.queryEntry(ctx, query, args) // CustomDB, or the replica for a readonly row
	if err != nil {
		return e.sqlError(ctx, c, err)
	}
	defer rows.Close()
	res, err := answerRows(rows)
	if err != nil {
		return e.sqlError(ctx, c, err)
	}
	return res, nil
}

// answerRows reads at most MaxRows rows: one value answers "OK: value",
// otherwise "OK: N rows" and the table, "OK: 100 rows (more not shown)"
// and Truncated when there were more.
func answerRows(rows *sql.Rows) (format.Result, error) {
	cols, err := rows.Columns()
	if err != nil {
		return format.Result{}, err
	}
	a := rowsAnswer{cols: cols}
	cells := make([]textCell, len(cols))
	ptrs := make([]any, len(cols))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	for !a.full() && rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return format.Result{}, err
		}
		row := make([]string, len(cols))
		for i := range cells {
			row[i] = cells[i].text
		}
		a.table = append(a.table, row)
	}
	a.more = a.full() && rows.Next()
	if err := rows.Err(); err != nil {
		return format.Result{}, err
	}
	return a.result(), nil
}

// rowsAnswer is the answer of a customsql SELECT as its rows are read.
type rowsAnswer struct {
	cols  []string
	table [][]string
	more  bool // there were rows after MaxRows
}

func (a *rowsAnswer) full() bool { return len(a.table) == MaxRows }

func (a *rowsAnswer) result() format.Result {
	if len(a.cols) == 1 && len(a.table) == 1 {
		return OK(a.table[0][0])
	}
	res := OK(strconv.Itoa(len(a.table)) + " rows")
	if a.more {
		res = OK(strconv.Itoa(len(a.table)) + " rows (more not shown)")
		res.Truncated = true
	}
	res.Columns, res.Rows = a.cols, a.table
	if res.Rows == nil {
		res.Rows = [][]string{}
	}
	return res
}

// queryDriverRows runs query on a connection of db's pool through the
// driver's own query and rows (onDriverConn), and answers as answerRows:
// the driver converts each column to the same driver.Value database/sql
// would be handed (pgx's stdlib does it in Rows.Next either way), and
// SQLText renders it. database/sql's rows are left out: their goroutine
// watching the request's context (pgx watches it itself and cancels the
// query on the server), their locks and their Scan.
func queryDriverRows(ctx context.Context, db *sql.DB, query string, args []any) (format.Result, error) {
	named := make([]driver.NamedValue, len(args))
	for i, v := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return answerOnDriverConn(ctx, db, func(dc any) (driver.Rows, error) {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return nil, fmt.Errorf("customsql: the driver connection %T cannot run a query itself", dc)
		}
		return q.QueryContext(ctx, query, named) // driver.ErrBadConn when nothing was sent
	})
}

// answerOnDriverConn runs query on a driver connection of db's pool
// (onDriverConn) and answers its rows (answerDriverRows).
func answerOnDriverConn(ctx context.Context, db *sql.DB, query func(dc any) (driver.Rows, error)) (format.Result, error) {
	var res format.Result
	err := onDriverConn(ctx, db, func(dc any) error {
		rows, err := query(dc)
		if err != nil {
			return err
		}
		res, err = answerDriverRows(rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return res, err
}

// querySQLiteRows is queryDriverRows on SQLite, through the statement
// prepared on the connection (querySQLite). A point read runs without the
// request's context (see entryStmt.pointRead), once it is checked.
func querySQLiteRows(ctx context.Context, db *sql.DB, query string, args []any, point bool) (format.Result, error) {
	if point {
		if err := ctx.Err(); err != nil {
			return format.Result{}, err
		}
		ctx = context.Background()
	}
	return answerOnDriverConn(ctx, db, func(dc any) (driver.Rows, error) {
		return querySQLite(ctx, dc, query, args)
	})
}

// answerDriverRows is answerRows on a driver's rows.
func answerDriverRows(rows driver.Rows) (format.Result, error) {
	a := rowsAnswer{cols: rows.Columns()}
	dest := make([]driver.Value, len(a.cols))
	for {
		err := rows.Next(dest)
		switch {
		case errors.Is(err, io.EOF):
			return a.result(), nil
		case err != nil:
			return format.Result{}, err
		case a.full():
			a.more = true
			return a.result(), nil
		}
		row := make([]string, len(dest))
		for i, v := range dest {
			row[i] = SQLText(v)
		}
		a.table = append(a.table, row)
	}
}

// textCell scans one column of a customsql row straight into its text
// (SQLText): database/sql hands the driver's value to Scan as it is, with
// no conversion, reflection or copy of its own.
type textCell struct{ text string }

func (c *textCell) Scan(src any) error {
	c.text = SQLText(src)
	return nil
}

// sqlError answers the error of a customsql statement: KindCanceled when
// the client went away, whatever the driver made of the cancellation;
// else, of KindInvalid, "ERROR: sql: ..." with the database's message to
// an admin (the row's author reads it) and "ERROR: request failed (ref
// ID)" to anyone else, the message logged under the request id.
func (e *Engine) sqlError(ctx context.Context, c *Call, err error) (format.Result, error) {
	if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
		return Failf(KindCanceled, "sql: %v", err), nil
	}
	e.log.ErrorContext(ctx, "customsql failed", "entry", c.Entry.Name, "request", c.Req.ID, "err", err)
	if c.Admin {
		return Errorf("sql: %v", err), nil
	}
	return Errorf("request failed (ref %s)", c.Req.ID), nil
}

// BindActionArgs resolves the keywords of a SQL action's statement (custom
// action 8/58) like BindArgs, and also {result} (the answer's text),
// {clientip} and {now} (UTC), which win over request parameters of those
// names, as in action bodies. In a failure action after authentication
// failed, [USERNAME] and {username} are those of the user the request
// named, once it was found.
func (c *Call) BindActionArgs(t *sqltemplate.Template, res format.Result, now time.Time) []any {
	return t.Args(func(k sqltemplate.Key) (any, bool) {
		u := c.Identified()
		switch {
		case k.Kind == sqltemplate.UserID:
			if c.User == nil {
				return nil, false
			}
			return c.User.ID, true
		case k.Kind == sqltemplate.UserName, k.Kind == sqltemplate.Field && k.Name == "username":
			if u == nil {
				return nil, false
			}
			return u.Username, true
		case k.Kind == sqltemplate.SParam, k.Kind == sqltemplate.Param:
			v, ok := c.Req.Params[k.Name]
			return v, ok
		}
		switch k.Name {
		case "result":
			return res.Text, true
		case "clientip":
			if c.Req.RemoteIP.IsValid() {
				return c.Req.RemoteIP.String(), true
			}
			return nil, false
		case "now":
			return now.UTC(), true
		}
		return c.lookupKey(k.Name)
	})
}

// SQLText renders a scanned database value as exact text: NULL is "",
// numbers without rounding, times as UTC "2006-01-02 15:04:05".
func SQLText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	case sql.RawBytes:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}
