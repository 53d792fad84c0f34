package builtin

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// Direct database operations of the reference: db runs any statement an
// authenticated admin sends; getfield and the admin form of setfield read
// and write one field of any table, naming tables and columns that are
// checked against the database's own lists and binding every value.

// maxDBRows is the most rows db answers.
const maxDBRows = 1000

// maxDBText is the longest statement db accepts.
const maxDBText = 64 << 10

func registerAdminDB(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "db", Params: []string{"txt"}, Handler: dbStatement,
			Doc: "Run any SQL statement (authenticated admin users only): rows as a table (at most 1000), else rows affected."},
		{Name: "getfield", Params: []string{"table", "retfieldname", "filterfieldtype", "filterfieldname", "filterfieldvalue"},
			Handler: getField, Doc: "Read one field: table (tb_users), retfieldname (id) of the first row whose filterfieldname (username/callerid/userid) is filterfieldvalue."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

func dbStatement(ctx context.Context, c *engine.Call) (format.Result, error) {
	if !c.VerifiedAdmin() {
		return engine.Failf(engine.KindDenied, "access denied: db needs an authenticated admin user (authid with authpwd or authmd5)"), nil
	}
	txt := strings.TrimSpace(c.Param("txt"))
	if txt == "" {
		return engine.Errorf("missing parameter: txt (the SQL statement)"), nil
	}
	if len(txt) > maxDBText {
		return engine.Errorf("txt too long: at most %d bytes", maxDBText), nil
	}
	db := c.DB()
	// The reference's T-SQL runs here too, as customsqldialect says.
	txt, err := engine.TranslateSQL(txt, db.Dialect, c.Config)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	verb, _, _ := strings.Cut(strings.ToLower(txt), " ")
	// The statement text may hold secrets (a password in an UPDATE): the
	// log names who ran what kind of statement, not the text.
	c.Engine.Logger().Info("db statement", "user", c.User.Username, "verb", clipText(verb, 16), "bytes", len(txt))
	ctx, cancel := context.WithTimeout(ctx, time.Duration(max(c.Config.SQLTimeout, 1))*time.Second)
	defer cancel()
	defer c.Engine.TrackQuery(c.Entry.Name, txt)()
	// sqltemplate only classifies here: the statement runs as written.
	if t, err := sqltemplate.Compile(txt, db.Dialect); err == nil && !t.ReturnsRows() {
		r, err := db.ExecContext(ctx, txt)
		if err != nil {
			return engine.Errorf("sql: %v", err), nil
		}
		n, err := r.RowsAffected()
		if err != nil {
			return engine.OK("done"), nil
		}
		return engine.OK(fmt.Sprintf("%d rows affected", n)), nil
	}
	rows, err := db.QueryContext(ctx, txt)
	if err != nil {
		return engine.Errorf("sql: %v", err), nil
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return engine.Errorf("sql: %v", err), nil
	}
	out := [][]string{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	more := false
	for rows.Next() {
		if len(out) == maxDBRows {
			more = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return engine.Errorf("sql: %v", err), nil
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = engine.SQLText(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return engine.Errorf("sql: %v", err), nil
	}
	if len(cols) == 0 {
		return engine.OK("done"), nil
	}
	text := fmt.Sprintf("%d rows", len(out))
	if more {
		text = fmt.Sprintf("%d rows (the first %d; there are more)", len(out), maxDBRows)
	}
	return table(text, cols, out), nil
}

// guessFilter are the filter columns getfield tries, in order.
var guessFilter = []string{"username", "callerid", "userid"}

func getField(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	d := db.Dialect
	name := c.Param("table")
	if strings.TrimSpace(name) == "" {
		name = "tb_users"
	}
	tbl, err := resolveTable(ctx, db, name)
	if err != nil {
		return metaError(c, err)
	}
	// tb_globalconfig holds the secrets showcfg masks.
	if strings.EqualFold(tbl, "tb_globalconfig") {
		if res, ok := needVerifiedAdmin(c, "getfield table=tb_globalconfig"); !ok {
			return res, nil
		}
	}
	cols, err := tableColumns(ctx, db, tbl)
	if err != nil {
		return format.Result{}, err
	}
	retName := c.Param("retfieldname")
	if strings.TrimSpace(retName) == "" {
		retName = "id"
	}
	ret, ok := findColumn(cols, retName)
	if !ok {
		return engine.Errorf("unknown field: %s has no column %s", tbl, clipText(retName, 40)), nil
	}
	if !c.Req.Params.Has("filterfieldvalue") {
		return engine.Errorf("missing parameter: filterfieldvalue"), nil
	}
	var filter dbColumn
	if fn := strings.TrimSpace(c.Param("filterfieldname")); fn != "" {
		if filter, ok = findColumn(cols, fn); !ok {
			return engine.Errorf("unknown field: %s has no column %s", tbl, clipText(fn, 40)), nil
		}
	} else {
		for _, g := range guessFilter {
			if filter, ok = findColumn(cols, g); ok {
				break
			}
		}
		if !ok {
			return engine.Errorf("send filterfieldname: %s has none of username, callerid, userid", tbl), nil
		}
	}
	arg, err := convertValue(filter, c.Param("filterfieldtype"), c.Param("filterfieldvalue"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	args := []any{arg}
	if arg == nil {
		args = nil
	}
	_, hasID := findColumn(cols, "id")
	rows, err := db.QueryContext(ctx, getFieldSQL(d, tbl, ret.Name, filter.Name, arg == nil, hasID), args...)
	if err != nil {
		return engine.Errorf("sql: %v", err), nil
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return engine.Errorf("sql: %v", err), nil
		}
		return engine.Failf(engine.KindNotFound, "not found: no %s row with %s = %s", tbl, filter.Name, clipText(c.Param("filterfieldvalue"), 40)), nil
	}
	var v any
	if err := rows.Scan(&v); err != nil {
		return engine.Errorf("sql: %v", err), nil
	}
	return engine.OK(engine.SQLText(v)), nil
}

// setFieldAdmin is the admin form of setfield (setfield.go hands over when
// an admin sends table): fieldname of any table is set to fieldvalue in the
// row whose id is rowid.
func setFieldAdmin(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	d := db.Dialect
	tbl, err := resolveTable(ctx, db, c.Param("table"))
	if err != nil {
		return metaError(c, err)
	}
	if protectedTables[strings.ToLower(tbl)] {
		if res, ok := needVerifiedAdmin(c, "setfield table="+strings.ToLower(tbl)); !ok {
			return res, nil
		}
	}
	cols, err := tableColumns(ctx, db, tbl)
	if err != nil {
		return format.Result{}, err
	}
	if _, ok := findColumn(cols, "id"); !ok {
		return engine.Errorf("setfield: %s has no id column for rowid", tbl), nil
	}
	fname := strings.TrimSpace(c.Param("fieldname"))
	if fname == "" {
		return engine.Errorf("missing parameter: fieldname"), nil
	}
	col, ok := findColumn(cols, fname)
	if !ok {
		return engine.Errorf("unknown field: %s has no column %s", tbl, clipText(fname, 40)), nil
	}
	if strings.EqualFold(col.Name, "id") {
		return engine.Errorf("setfield: the id column cannot be changed"), nil
	}
	raw := strings.TrimSpace(c.Param("rowid"))
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return engine.Errorf("missing or bad rowid %q: the id of the row to change", clipText(raw, 20)), nil
	}
	val, err := convertValue(col, c.Param("fieldtype"), c.Param("fieldvalue"))
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	if strings.EqualFold(tbl, "tb_users") {
		if res, ok, err := checkUserChange(ctx, c, id, col.Name, val); err != nil || !ok {
			return res, err
		}
	}
	r, err := db.ExecContext(ctx, setFieldSQL(d, tbl, col.Name), val, id)
	if err != nil {
		if isUnique(err) {
			return engine.Errorf("%s.%s: value already in use by another row", tbl, col.Name), nil
		}
		return engine.Errorf("sql: %v", err), nil
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return engine.Errorf("no %s row with id %d", tbl, id), nil
	}
	return engine.OK(tbl + "." + col.Name + " updated"), nil
}

// getFieldSQL reads column ret of the first row of tbl whose filter column
// equals the bound value (or IS NULL); every name was found in the
// database's own lists.
func getFieldSQL(d schema.Dialect, tbl, ret, filter string, isNull, orderByID bool) string {
	where := d.Ident(filter) + " = ?"
	if isNull {
		where = d.Ident(filter) + " IS NULL"
	}
	order := ""
	if orderByID {
		order = " ORDER BY " + d.Ident("id")
	}
	return d.Rebind("SELECT " + d.Top(1) + d.Ident(ret) + " FROM " + d.Ident(tbl) + " WHERE " + where + order + d.Limit(1))
}

// setFieldSQL sets column col of the row of tbl with a bound id.
func setFieldSQL(d schema.Dialect, tbl, col string) string {
	return d.Rebind("UPDATE " + d.Ident(tbl) + " SET " + d.Ident(col) + " = ? WHERE " + d.Ident("id") + " = ?")
}

// metaError answers a bad table name to the client and logs a database
// failure.
func metaError(c *engine.Call, err error) (format.Result, error) {
	msg := err.Error()
	if strings.HasPrefix(msg, "bad table name") || strings.HasPrefix(msg, "unknown table") {
		return engine.Errorf("%s", msg), nil
	}
	return format.Result{}, err
}
