package builtin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// Admin user management: deluser and listusers.

func registerAdminUsers(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "deluser", Params: []string{"u_id", "u_username"}, Handler: delUser,
			Doc: "Delete a user by u_id or u_username."},
		{Name: "listusers", Params: []string{"u_type", "u_maxcount", "u_extended", "u_order"}, Handler: listUsers,
			Doc: "List users: u_type filter, u_maxcount (100), u_extended=1 for more columns, u_order (id, username, name, type, credit, created; desc or - for descending)."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

func delUser(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	var q string
	var arg any
	if s := strings.TrimSpace(c.Param("u_id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return engine.Errorf("bad u_id %q: a user id", clipText(s, 20)), nil
		}
		q, arg = delUserFindSQL(db.Dialect, "id"), id
	} else if s := strings.TrimSpace(c.Param("u_username")); s != "" {
		q, arg = delUserFindSQL(db.Dialect, "username"), s
	} else {
		return engine.Errorf("missing parameter: u_id or u_username"), nil
	}
	var id int64
	var name string
	var typ int
	err := db.QueryRowxContext(ctx, q, arg).Scan(&id, &name, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return engine.Failf(engine.KindNotFound, "user not found"), nil
	}
	if err != nil {
		return format.Result{}, err
	}
	if c.User != nil && c.User.ID == id {
		return engine.Errorf("deluser: you cannot delete your own account"), nil
	}
	if typ == engine.TypeSrvAdmin && c.User != nil && c.User.Type != engine.TypeSrvAdmin {
		return engine.Failf(engine.KindDenied, "access denied: only a srvadmin can delete a srvadmin"), nil
	}
	r, err := db.ExecContext(ctx, delUserSQL(db.Dialect), id)
	if err != nil {
		return format.Result{}, err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return engine.Failf(engine.KindNotFound, "user not found"), nil
	}
	c.Engine.Logger().Info("deluser", "id", id, "username", name)
	return engine.OK(fmt.Sprintf("user deleted: id=%d username=%s", id, name)), nil
}

var (
	listColumns    = []string{"id", "username", "type", "name", "credit", "currency", "enabled"}
	listExtended   = []string{"email", "phone", "country", "postpaid", "temporarydisabled", "status", "statusdate", "ip", "parentid", "created"}
	listOrderables = map[string]bool{"id": true, "username": true, "name": true, "type": true, "credit": true, "created": true, "email": true}
)

// maxListedUsers is the most users one listusers answers.
const maxListedUsers = 10000

func listUsers(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	d := db.Dialect
	count := 100
	if s := strings.TrimSpace(c.Param("u_maxcount")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListedUsers {
			return engine.Errorf("bad u_maxcount %q: 1 to %d", clipText(s, 12), maxListedUsers), nil
		}
		count = n
	}
	cols := listColumns
	switch strings.ToLower(strings.TrimSpace(c.Param("u_extended"))) {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		cols = append(append([]string{}, listColumns...), listExtended...)
	default:
		return engine.Errorf("bad u_extended: use 0 or 1"), nil
	}
	where, args := "", []any{}
	if s := strings.TrimSpace(c.Param("u_type")); s != "" && !strings.EqualFold(s, "all") && s != "-1" {
		t, err := strconv.Atoi(s)
		if err != nil || t < 0 {
			return engine.Errorf("bad u_type %q: a user type number, or all", clipText(s, 12)), nil
		}
		where, args = " WHERE type = ?", append(args, t)
	}
	order, desc := strings.ToLower(strings.TrimSpace(c.Param("u_order"))), ""
	if strings.HasPrefix(order, "-") {
		order, desc = strings.TrimSpace(order[1:]), " DESC"
	} else if f := strings.Fields(order); len(f) == 2 && (f[1] == "desc" || f[1] == "asc") {
		order = f[0]
		if f[1] == "desc" {
			desc = " DESC"
		}
	}
	if order == "" {
		order = "id"
	}
	if !listOrderables[order] {
		return engine.Errorf("bad u_order %q: id, username, name, type, credit, created or email, optionally desc", clipText(order, 20)), nil
	}
	rows, err := db.QueryxContext(ctx, listUsersSQL(d, cols, where != "", order+desc, count), args...)
	if err != nil {
		return format.Result{}, err
	}
	defer rows.Close()
	out := [][]string{}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return format.Result{}, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = engine.SQLText(v)
			if cols[i] == "credit" {
				if f, err := strconv.ParseFloat(row[i], 64); err == nil {
					row[i] = money(f)
				}
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return format.Result{}, err
	}
	return table(fmt.Sprintf("%d users", len(out)), cols, out), nil
}

// listUsersSQL lists cols of at most count users (of a bound type when
// byType) in order; cols and order come from fixed lists.
func listUsersSQL(d schema.Dialect, cols []string, byType bool, order string, count int) string {
	where := ""
	if byType {
		where = " WHERE type = ?"
	}
	return d.Rebind("SELECT " + d.Top(count) + strings.Join(cols, ", ") + " FROM tb_users" + where +
		" ORDER BY " + order + d.Limit(count))
}

// delUserFindSQL finds a user by key (id or username).
func delUserFindSQL(d schema.Dialect, key string) string {
	return d.Rebind("SELECT id, username, type FROM tb_users WHERE " + key + " = ?")
}

var delUserSQL = schema.Statement("DELETE FROM tb_users WHERE id = ?")
