package builtin

import (
	"context"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// setfield, the user form of the reference: endusers change the fields of
// their own tb_users row that the reference allows (a second group only
// while still empty); admins change any field of any user (rowid). An
// admin who sends table gets the admin form (setFieldAdmin, admin_db.go).

type fieldKind int

const (
	kindText fieldKind = iota
	kindInt
	kindFloat
)

// userFormFields may be changed by users at any time (the reference's list).
var userFormFields = fieldSet(`forwardonbusy,forwardonnoanswer,forwardalways,voicemail,musiconhold,displayname,
noanswertimeout,forwardearlystart,changesptoring,convertdtmf,playadv,playdisc,sendsmsalert,sendemailalert,
sendsmsreport,senddailyemail,sendlowcreditemail,sendmonthlyemail,sendotheremail,notifymissedsms,
notifymissedemail,choosecodecs,needcodecconversion,discvoice,connectvoice,sendlowecreditemail,voicemailonbusy,
voicemailonnoansw,voicemailalways`)

// onceFields may be set by users only while they are empty.
var onceFields = fieldSet(`contactname,name,email,email2,phone,fax,address,billaddress,postaddress,country,
regnumber,euregnumber,birthday,gender,language,utc`)

func fieldSet(list string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		m[strings.TrimSpace(f)] = true
	}
	return m
}

// userFields are the settable columns of tb_users and their kinds; a field
// name is spliced into SQL only after it is found here.
var userFields = func() map[string]fieldKind {
	m := map[string]fieldKind{}
	ints := fieldSet(`type,postpaid,enabled,temporarydisabled,status,parentid,voicemail,noanswertimeout,
forwardearlystart,changesptoring,convertdtmf,playadv,playdisc,sendsmsalert,sendemailalert,sendsmsreport,
senddailyemail,sendlowcreditemail,sendmonthlyemail,sendotheremail,notifymissedsms,notifymissedemail,
needcodecconversion,sendlowecreditemail,voicemailonbusy,voicemailonnoansw,voicemailalways,pwdanswerfails`)
	texts := fieldSet(`username,password,currency,ip,pin,deviceid,callbacknumber,presence,pwdquestion`)
	for f := range userFormFields {
		m[f] = kindText
	}
	for f := range onceFields {
		m[f] = kindText
	}
	for f := range texts {
		m[f] = kindText
	}
	for f := range ints {
		m[f] = kindInt
	}
	m["credit"] = kindFloat
	return m
}()

func setField(ctx context.Context, c *engine.Call) (format.Result, error) {
	if c.Admin && strings.TrimSpace(c.Param("table")) != "" {
		return setFieldAdmin(ctx, c) // the admin form, any table (admin_db.go)
	}
	if t := strings.ToLower(strings.TrimSpace(c.Param("table"))); t != "" && t != "tb_users" {
		return engine.Errorf("setfield: this form changes tb_users only"), nil
	}
	field := strings.ToLower(strings.TrimSpace(c.Param("fieldname")))
	if field == "" {
		return engine.Errorf("missing parameter: fieldname (a field of tb_users)"), nil
	}
	kind, known := userFields[field]
	if !known {
		return engine.Errorf("unknown field: %s (not a settable field of tb_users)", clipText(field, 40)), nil
	}
	target, res, ok := setFieldTarget(c)
	if !ok {
		return res, nil
	}
	once := false
	if !c.Admin {
		switch {
		case userFormFields[field]:
		case onceFields[field]:
			once = true
		default:
			return engine.Failf(engine.KindDenied, "access denied: users cannot change %s", field), nil
		}
	}
	value, err := fieldValue(c, field, kind)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	if c.Admin {
		if res, ok, err := checkUserChange(ctx, c, target, field, value); err != nil || !ok {
			return res, err
		}
	}
	if f, ok := value.(float64); ok && field == "credit" {
		return setCreditField(ctx, c, target, f) // tb_creditlog and the audit row in one transaction
	}
	db := c.DB()
	r, err := db.ExecContext(ctx, setUserFieldSQL(db.Dialect, field, once), value, target)
	if err != nil {
		if isUnique(err) {
			return engine.Errorf("%s already in use by another user", field), nil
		}
		return format.Result{}, err
	}
	if n, err := r.RowsAffected(); err != nil {
		return format.Result{}, err
	} else if n == 0 && once {
		return engine.Errorf("%s is already set: ask support to change it", field), nil
	} else if n == 0 {
		return engine.Errorf("no such user: rowid %d", target), nil
	}
	return engine.OK(field + " updated"), nil
}

// setFieldTarget is the user id to change: rowid (admins: any; users: only
// their own), else the caller.
func setFieldTarget(c *engine.Call) (int64, format.Result, bool) {
	raw := strings.TrimSpace(c.Param("rowid"))
	if raw == "" {
		if c.User == nil {
			return 0, engine.Errorf("missing parameter: rowid (the id of the user to change)"), false
		}
		return c.User.ID, format.Result{}, true
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, engine.Errorf("bad rowid %q: use a user id", clipText(raw, 20)), false
	}
	if !c.Admin && (c.User == nil || id != c.User.ID) {
		return 0, engine.Failf(engine.KindDenied, "access denied: you can change only your own fields"), false
	}
	return id, format.Result{}, true
}

// fieldValue converts fieldvalue to the column's kind; fieldtype, when sent,
// must agree with the value.
func fieldValue(c *engine.Call, field string, kind fieldKind) (any, error) {
	v := c.Param("fieldvalue")
	switch ft := strings.ToLower(strings.TrimSpace(c.Param("fieldtype"))); ft {
	case "", "string", "str", "text":
	case "int", "integer":
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return nil, errf("bad fieldvalue for fieldtype=int: %q", clipText(v, 20))
		}
	case "float", "real", "number":
		if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return nil, errf("bad fieldvalue for fieldtype=float: %q", clipText(v, 20))
		}
	default:
		return nil, errf("bad fieldtype %q: use string, int or float", clipText(ft, 20))
	}
	switch kind {
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, errf("bad fieldvalue: %s takes a whole number", field)
		}
		return n, nil
	case kindFloat:
		f, err := parseCredit("fieldvalue", v, true)
		if err != nil {
			return nil, errf("bad fieldvalue: %s takes a number with at most 4 decimals", field)
		}
		return roundTo(f, 4), nil
	}
	if len(v) > 256 {
		return nil, errf("bad fieldvalue: longer than 256 characters")
	}
	switch field {
	case "password":
		if err := checkPassword(v); err != nil {
			return nil, err
		}
	case "username":
		n := engine.NewUser{Username: v, Password: "placeholder"}
		if err := n.Validate(); err != nil {
			return nil, err
		}
	case "pin":
		if v == "" {
			return nil, nil // NULL: no PIN
		}
	}
	return v, nil
}

// setUserFieldSQL sets field (a userFields key) of a user; once: only
// while it is empty.
func setUserFieldSQL(d schema.Dialect, field string, once bool) string {
	q := "UPDATE tb_users SET " + field + " = ? WHERE id = ?"
	if once {
		q += " AND " + field + " = ''"
	}
	return d.Rebind(q)
}
