package builtin_test

import (
	"strconv"
	"strings"
	"testing"

	"mvapi/engine"
)

func TestGetDetails(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		id := v.user("jane", 0, 9.8)
		v.exec("UPDATE tb_users SET email = 'j@example.com', displayname = 'Jane D' WHERE id = ?", id)
		for _, tc := range []struct {
			mode       string
			has, lacks []string
		}{
			{"min", []string{"id", "username", "credit", "status"}, []string{"email", "forwardalways", "password"}},
			{"", []string{"email", "displayname", "callbacknumber", "status"}, []string{"forwardalways", "password", "pwdanswerhash"}},
			{"max", []string{"email", "forwardalways", "voicemailalways", "euregnumber", "type"}, []string{"password", "pwdanswerhash", "pin"}},
		} {
			t.Run("mode="+tc.mode, func(t *testing.T) {
				res := v.as("jane", "getdetails", "mode", tc.mode)
				wantOK(t, res, "OK: jane")
				cols := strings.Join(res.Columns, ",")
				for _, c := range tc.has {
					if !strings.Contains(","+cols+",", ","+c+",") {
						t.Errorf("columns %s lack %s", cols, c)
					}
				}
				for _, c := range tc.lacks {
					if strings.Contains(","+cols+",", ","+c+",") {
						t.Errorf("columns %s show %s", cols, c)
					}
				}
				if got := column(t, res, "credit")[0]; got != "9.8" {
					t.Errorf("credit %q", got)
				}
				if got := column(t, res, "id")[0]; got != strconv.FormatInt(id, 10) {
					t.Errorf("id %q", got)
				}
			})
		}
		wantErr(t, v.as("jane", "getdetails", "mode", "huge"), "bad mode")
	})
}

func TestSetField(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("root", engine.TypeAdmin, 0)
		kim := v.user("kim", 0, 1)
		lou := v.user("lou", 0, 1)
		field := func(col string, id int64) string {
			var s string
			if err := v.db.Get(&s, v.db.Dialect.Rebind("SELECT CAST("+col+" AS VARCHAR(255)) FROM tb_users WHERE id = ?"), id); err != nil {
				t.Fatal(err)
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil { // PostgreSQL NUMERIC text is 12.5000
				return strconv.FormatFloat(f, 'f', -1, 64)
			}
			return s
		}
		set := func(user string, kv ...string) func(t *testing.T) {
			return func(t *testing.T) { wantOK(t, v.as(user, "setfield", kv...), "OK: ") }
		}
		t.Run("user form field", set("kim", "fieldname", "forwardonbusy", "fieldvalue", "3612345"))
		t.Run("user form field again", set("kim", "fieldname", "forwardonbusy", "fieldvalue", "3699999"))
		t.Run("int field", set("kim", "fieldtype", "int", "fieldname", "noanswertimeout", "fieldvalue", "25"))
		t.Run("positional", set("kim", "param1", "string", "param2", "displayname", "param3", "Kim K"))
		t.Run("once field while empty", set("kim", "fieldname", "email2", "fieldvalue", "k2@example.com"))
		if field("forwardonbusy", kim) != "3699999" || field("noanswertimeout", kim) != "25" || field("displayname", kim) != "Kim K" {
			t.Fatal("user form fields not stored")
		}
		for _, tc := range []struct {
			name, user, want string
			kv               []string
		}{
			{"once field already set", "kim", "email2 is already set", []string{"fieldname", "email2", "fieldvalue", "other@example.com"}},
			{"credit", "kim", "access denied: users cannot change credit", []string{"fieldname", "credit", "fieldvalue", "1000"}},
			{"type", "kim", "access denied: users cannot change type", []string{"fieldname", "type", "fieldvalue", "4"}},
			{"password", "kim", "access denied: users cannot change password", []string{"fieldname", "password", "fieldvalue", "newpass99"}},
			{"another user's row", "kim", "only your own fields", []string{"fieldname", "displayname", "fieldvalue", "x", "rowid", strconv.FormatInt(lou, 10)}},
			{"unknown field", "kim", "unknown field", []string{"fieldname", "id; DROP TABLE tb_users", "fieldvalue", "1"}},
			{"bad int", "kim", "takes a whole number", []string{"fieldname", "noanswertimeout", "fieldvalue", "soon"}},
			{"fieldtype disagrees", "kim", "fieldtype=int", []string{"fieldtype", "int", "fieldname", "displayname", "fieldvalue", "abc"}},
			{"bad fieldtype", "kim", "bad fieldtype", []string{"fieldtype", "blob", "fieldname", "displayname", "fieldvalue", "abc"}},
			{"other table", "kim", "tb_users only", []string{"table", "tb_api", "fieldname", "fname", "fieldvalue", "x"}},
			{"no field", "kim", "missing parameter: fieldname", nil},
			{"admin weak password", "root", "invalid password", []string{"fieldname", "password", "fieldvalue", "abc", "rowid", strconv.FormatInt(kim, 10)}},
			{"admin taken username", "root", "already in use", []string{"fieldname", "username", "fieldvalue", "lou", "rowid", strconv.FormatInt(kim, 10)}},
			{"admin unknown row", "root", "no such user", []string{"fieldname", "credit", "fieldvalue", "1", "rowid", "999999"}},
		} {
			t.Run(tc.name, func(t *testing.T) { wantErr(t, v.as(tc.user, "setfield", tc.kv...), tc.want) })
		}
		if field("credit", kim) != "1" || field("type", kim) != "0" {
			t.Fatal("a refused setfield changed the row")
		}
		// Admins may change credit, type and password of any user.
		rowid := strconv.FormatInt(kim, 10)
		t.Run("admin credit", set("root", "fieldtype", "float", "fieldname", "credit", "fieldvalue", "12.5", "rowid", rowid))
		t.Run("admin type", set("root", "fieldname", "type", "fieldvalue", "1", "rowid", rowid))
		t.Run("admin password", set("root", "fieldname", "password", "fieldvalue", "fresh-pass-9", "rowid", rowid))
		t.Run("admin once field", set("root", "fieldname", "email2", "fieldvalue", "new@example.com", "rowid", rowid))
		if field("credit", kim) != "12.5" || field("type", kim) != "1" || field("email2", kim) != "new@example.com" {
			t.Fatalf("admin changes not stored: credit %s type %s", field("credit", kim), field("type", kim))
		}
		res := v.serve(remoteIP, "balance", "authkey", v.key, "authid", "kim", "authpwd", "fresh-pass-9")
		wantOK(t, res, "Your credit is $12.5")
	})
}

func TestChangePwd(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("mia", 0, 1)
		wantErr(t, v.as("mia", "changepwd", "newpassword", "brandnew1", "oldpassword", "wrong"), "wrong oldpassword")
		wantErr(t, v.as("mia", "changepwd", "newpassword", "abc", "oldpassword", pwd("mia")), "invalid password")
		wantErr(t, v.as("mia", "changepwd", "newpassword", pwd("mia"), "oldpassword", pwd("mia")), "same as the old one")
		wantErr(t, v.as("mia", "changepwd", "oldpassword", pwd("mia")), "missing parameter: newpassword")
		wantOK(t, v.as("mia", "changepwd", "param1", "brandnew1", "param2", pwd("mia")), "OK: password changed")
		wantErr(t, v.as("mia", "balance"), "auth failed")
		wantOK(t, v.serve(remoteIP, "balance", "authkey", v.key, "authid", "mia", "authpwd", "brandnew1"), "Your credit is")
	})
}

func TestForgotPassword(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, map[string]string{"pwdanswermaxfails": "3"})
		id := v.user("nina", 0, 1)
		v.exec("UPDATE tb_users SET email = 'Nina@Example.com' WHERE id = ?", id)
		v.user("omar", 0, 1)
		v.exec("UPDATE tb_users SET email = 'dup@example.com' WHERE username IN ('omar')")
		v.user("otto", 0, 1)
		v.exec("UPDATE tb_users SET email = 'dup@example.com' WHERE username IN ('otto')")
		public := func(entry string, kv ...string) []string { return append([]string{"authkey", v.key}, kv...) }

		wantErr(t, v.serve(remoteIP, "forgotpasswordquestion", public("", "email", "nina@example.com")...), "no password question set")
		wantOK(t, v.as("nina", "changepwd", "oldpassword", pwd("nina"), "pwdquestion", "First pet?", "pwdanswer", " Rex "), "OK: password question set")
		wantOK(t, v.serve(remoteIP, "forgotpasswordquestion", public("", "email", "nina@example.com")...), "OK: First pet?")
		wantErr(t, v.serve(remoteIP, "forgotpasswordquestion", public("", "email", "who@example.com")...), "no account with this email")
		wantErr(t, v.serve(remoteIP, "forgotpasswordquestion", public("", "email", "dup@example.com")...), "several accounts")
		wantErr(t, v.serve(remoteIP, "forgotpasswordquestion", "email", "nina@example.com"), "wrong key")

		wantErr(t, v.serve(remoteIP, "forgotpasswordanswer", public("", "email", "nina@example.com", "forgotpasswordanswer", "Max")...), "wrong answer")
		res := v.serve(remoteIP, "forgotpasswordanswer", public("", "param1", "nina@example.com", "param2", "rex")...)
		wantOK(t, res, "OK: new password: ")
		newPwd := strings.TrimPrefix(res.Text, "OK: new password: ")
		wantOK(t, v.serve(remoteIP, "balance", "authkey", v.key, "authid", "nina", "authpwd", newPwd), "Your credit is")
		wantOK(t, v.serve(remoteIP, "forgotpasswordanswer", public("", "email", "nina@example.com", "forgotpasswordanswer", "REX", "newpassword", "chosen-pw1")...), "OK: password changed")
		wantOK(t, v.serve(remoteIP, "balance", "authkey", v.key, "authid", "nina", "authpwd", "chosen-pw1"), "Your credit is")
		// Wrong answers are limited, even the right one is refused after that.
		for range 3 {
			wantErr(t, v.serve(remoteIP, "forgotpasswordanswer", public("", "email", "nina@example.com", "forgotpasswordanswer", "guess")...), "wrong answer")
		}
		wantErr(t, v.serve(remoteIP, "forgotpasswordanswer", public("", "email", "nina@example.com", "forgotpasswordanswer", "rex")...), "recovery is locked")
		wantErr(t, v.serve(remoteIP, "forgotpasswordanswer", public("", "email", "nina@example.com")...), "missing parameter: forgotpasswordanswer")
	})
}
