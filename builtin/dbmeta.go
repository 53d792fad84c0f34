package builtin

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mvapi/schema"
)

// The database's own table and column lists, read per request: the admin
// entries that name a table or column (getfield, the admin setfield,
// addserver's fieldnameX) splice an identifier into SQL only after finding
// it here, spelled as the database spells it and quoted with Dialect.Ident;
// every value is bound.

// colKind is how a value for a column is converted before it is bound.
type colKind int

const (
	colText colKind = iota
	colInt
	colFloat
	colBool
	colTime
)

// dbColumn is one column of a real table.
type dbColumn struct {
	Name string
	Kind colKind
}

// identRE is the shape of an identifier mvapi will splice (after finding
// it in the database's own list).
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// resolveTable returns the database's spelling of table name (matched
// case-insensitively), or an error a client may read.
func resolveTable(ctx context.Context, db *schema.DB, name string) (string, error) {
	name = strings.TrimSpace(name)
	if !identRE.MatchString(name) {
		return "", fmt.Errorf("bad table name %q", clipText(name, 40))
	}
	var tables []string
	if err := db.SelectContext(ctx, &tables, db.Dialect.TablesSQL()); err != nil {
		return "", fmt.Errorf("list tables: %w", err)
	}
	for _, t := range tables {
		if strings.EqualFold(t, name) && identRE.MatchString(t) {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown table: %s", name)
}

// tableColumns lists the columns of a table resolveTable returned.
func tableColumns(ctx context.Context, db *schema.DB, table string) ([]dbColumn, error) {
	rows, err := db.QueryContext(ctx, db.Dialect.ColumnsSQL(), table)
	if err != nil {
		return nil, fmt.Errorf("list columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []dbColumn
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("list columns of %s: %w", table, err)
		}
		if identRE.MatchString(name) {
			out = append(out, dbColumn{Name: name, Kind: columnKind(typ)})
		}
	}
	return out, rows.Err()
}

// findColumn matches name case-insensitively against cols.
func findColumn(cols []dbColumn, name string) (dbColumn, bool) {
	name = strings.TrimSpace(name)
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return dbColumn{}, false
}

// columnKind classifies a declared column type of any of the three databases.
func columnKind(typ string) colKind {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "bool"):
		return colBool
	case strings.Contains(t, "int"), t == "bit":
		return colInt
	case strings.Contains(t, "num"), strings.Contains(t, "dec"), strings.Contains(t, "real"),
		strings.Contains(t, "float"), strings.Contains(t, "double"), strings.Contains(t, "money"):
		return colFloat
	case strings.Contains(t, "date"), strings.Contains(t, "time"):
		return colTime
	}
	return colText
}

// timeLayouts are the forms a time value may be sent in (UTC).
var timeLayouts = []string{time.DateTime, "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", time.DateOnly}

// convertValue turns the text a client sent into the column's Go type.
// fieldtype (string, int, float or empty), when sent, must agree with the
// value. An empty value for a column that is not text binds NULL.
func convertValue(col dbColumn, fieldtype, v string) (any, error) {
	t := strings.TrimSpace(v)
	switch ft := strings.ToLower(strings.TrimSpace(fieldtype)); ft {
	case "", "auto", "string", "str", "text":
	case "int", "integer":
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			return nil, fmt.Errorf("bad value for fieldtype=int: %q", clipText(v, 20))
		}
	case "float", "real", "number":
		if _, err := strconv.ParseFloat(t, 64); err != nil {
			return nil, fmt.Errorf("bad value for fieldtype=float: %q", clipText(v, 20))
		}
	default:
		return nil, fmt.Errorf("bad fieldtype %q: use string, int or float", clipText(ft, 20))
	}
	if col.Kind != colText && t == "" {
		return nil, nil
	}
	switch col.Kind {
	case colInt:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad value for %s: a whole number", col.Name)
		}
		return n, nil
	case colFloat:
		f, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("bad value for %s: a number", col.Name)
		}
		return f, nil
	case colBool:
		b, err := strconv.ParseBool(t)
		if err != nil {
			return nil, fmt.Errorf("bad value for %s: 1, 0, true or false", col.Name)
		}
		return b, nil
	case colTime:
		for _, l := range timeLayouts {
			if tm, err := time.Parse(l, t); err == nil {
				return tm.UTC(), nil
			}
		}
		return nil, fmt.Errorf("bad value for %s: a time such as 2026-01-31 13:45:00 (UTC)", col.Name)
	}
	return v, nil
}
