package builtin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// Account entries: getdetails, setfield (setfield.go), changepwd and the
// password recovery pair forgotpasswordquestion / forgotpasswordanswer.

func registerAccount(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "getdetails", Access: engine.UserAPI, Params: []string{"mode"}, Handler: getDetails, NeedsUser: true,
		Doc: "The caller's account as a one-row table; mode=min, normal (default) or max.",
	})
	reg.Add(engine.Builtin{
		Name: "setfield", Access: engine.UserAPI, Params: []string{"fieldtype", "fieldname", "fieldvalue", "rowid", "sync"},
		Handler: setField,
		Doc:     "Change a field of tb_users: users their allowed fields, admins any field of any user (rowid).",
	})
	reg.Add(engine.Builtin{
		Name: "changepwd", Access: engine.UserAPI, Params: []string{"newpassword", "oldpassword"}, Handler: changePwd, NeedsUser: true,
		Doc: "Change the password (oldpassword required); pwdquestion and pwdanswer set the recovery question.",
	})
}

var detailColumns = map[string][]string{
	"min":    {"id", "username", "name", "credit", "currency"},
	"normal": {"id", "username", "name", "credit", "currency", "postpaid", "email", "phone", "country", "address", "displayname", "callbacknumber", "presence", "created"},
}

func init() {
	maxCols := append([]string{}, detailColumns["normal"]...)
	for _, set := range []map[string]bool{userFormFields, onceFields} {
		for _, f := range sortedKeys(set) {
			if !contains(maxCols, f) {
				maxCols = append(maxCols, f)
			}
		}
	}
	detailColumns["max"] = append(maxCols, "type", "parentid", "pwdquestion")
}

func getDetails(ctx context.Context, c *engine.Call) (format.Result, error) {
	mode := strings.ToLower(strings.TrimSpace(c.Param("mode")))
	if mode == "" {
		mode = "normal"
	}
	cols, ok := detailColumns[mode]
	if !ok {
		return engine.Errorf("bad mode %q: use min, normal or max", clipText(mode, 20)), nil
	}
	db := c.DB()
	row := map[string]any{}
	if err := db.QueryRowxContext(ctx, detailsSQL(db.Dialect, cols), c.User.ID).MapScan(row); err != nil {
		return format.Result{}, err
	}
	out := make([]string, 0, len(cols)+1)
	for _, col := range cols {
		v := cellText(row[col])
		if col == "credit" { // PostgreSQL answers NUMERIC as text
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				v = money(f)
			}
		}
		out = append(out, v)
	}
	cols = append(append([]string{}, cols...), "status")
	out = append(out, strconv.Itoa(UserStatus(c.User, c.Config)))
	return table(c.User.Username, cols, [][]string{out}), nil
}

// cellText renders a database value as text for a table cell.
func cellText(v any) string {
	if f, ok := v.(float64); ok {
		return money(f)
	}
	return engine.SQLText(v)
}

func changePwd(ctx context.Context, c *engine.Call) (format.Result, error) {
	u, db := c.User, c.DB()
	newPwd, oldPwd := c.Param("newpassword"), c.Param("oldpassword")
	question, answer := strings.TrimSpace(c.Param("pwdquestion")), c.Param("pwdanswer")
	if newPwd == "" && question == "" {
		return engine.Errorf("missing parameter: newpassword"), nil
	}
	// An admin acting for a user (targetuser) needs no old password.
	acting := c.Admin && !u.IsAdmin()
	if !acting && subtle.ConstantTimeCompare([]byte(oldPwd), []byte(u.Password)) != 1 {
		return engine.Errorf("wrong oldpassword"), nil
	}
	if newPwd != "" {
		if err := checkPassword(newPwd); err != nil {
			return engine.Errorf("%v", err), nil
		}
		if newPwd == u.Password {
			return engine.Errorf("the new password is the same as the old one"), nil
		}
	}
	if question != "" {
		if len(question) > 200 || len(strings.TrimSpace(answer)) < 2 || len(answer) > 100 {
			return engine.Errorf("bad pwdquestion/pwdanswer: a question up to 200 characters and an answer of 2 to 100"), nil
		}
		_, err := db.ExecContext(ctx, pwdQuestionSQL(db.Dialect),
			question, answerHash(u.Username, answer), u.ID)
		if err != nil {
			return format.Result{}, err
		}
	}
	if newPwd == "" {
		return engine.OK("password question set"), nil
	}
	r, err := db.ExecContext(ctx, changePwdSQL(db.Dialect), newPwd, u.ID, u.Password)
	if err != nil {
		return format.Result{}, err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return engine.Errorf("the password was changed meanwhile: log in again"), nil
	}
	return engine.OK("password changed"), nil
}

// checkPassword applies the sign-up password rules.
func checkPassword(pwd string) error {
	n := engine.NewUser{Username: "placeholder", Password: pwd}
	return n.Validate()
}

// answerHash is the stored form of a recovery answer: case and spaces at
// the ends do not matter.
func answerHash(username, answer string) string {
	sum := sha256.Sum256([]byte("mvapi-pwdanswer:" + username + ":" + strings.ToLower(strings.TrimSpace(answer))))
	return hex.EncodeToString(sum[:])
}

func errf(f string, args ...any) error { return fmt.Errorf(f, args...) }

// recoveryPassword makes a password of n letters and digits.
func recoveryPassword(n int) (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", errors.New("random: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b), nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// detailsSQL selects cols (a detailColumns list) of one user.
func detailsSQL(d schema.Dialect, cols []string) string {
	return d.Rebind("SELECT " + strings.Join(cols, ", ") + " FROM tb_users WHERE id = ?")
}

var pwdQuestionSQL = schema.Statement("UPDATE tb_users SET pwdquestion = ?, pwdanswerhash = ?, pwdanswerfails = 0 WHERE id = ?")

var changePwdSQL = schema.Statement("UPDATE tb_users SET password = ? WHERE id = ? AND password = ?")
