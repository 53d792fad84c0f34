package builtin

import (
	"context"
	"crypto/subtle"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

func registerRecovery(reg *engine.Registry) {
	public := engine.PublicAPI
	public.ReqKey = 1
	reg.Add(engine.Builtin{
		Name: "forgotpasswordquestion", Access: public, Params: []string{"email"}, Handler: forgotQuestion,
		Doc: "The password recovery question of the account with this email.",
	})
	reg.Add(engine.Builtin{
		Name: "forgotpasswordanswer", Access: public, Params: []string{"email", "forgotpasswordanswer"}, Handler: forgotAnswer,
		Doc: "A right answer sets newpassword, or a random password that is answered; wrong answers are limited.",
	})
}

// Password recovery: the question set with changepwd (pwdquestion,
// pwdanswer) is answered by email; a right answer sets a new password. Every
// attempt is counted before the answer is checked, so parallel guesses
// cannot exceed pwdanswermaxfails.

type recoveryRow struct {
	ID       int64  `db:"id"`
	Username string `db:"username"`
	Question string `db:"pwdquestion"`
	Hash     string `db:"pwdanswerhash"`
	Fails    int    `db:"pwdanswerfails"`
}

// recoveryAccount finds the one account of an email; a refusal is an
// *engine.Error, anything else an internal error.
func recoveryAccount(ctx context.Context, c *engine.Call) (*recoveryRow, error) {
	email := strings.TrimSpace(c.Param("email"))
	if email == "" || !strings.Contains(email, "@") || len(email) > 128 {
		return nil, engine.Fail(engine.KindInvalid, "missing parameter: email (the account's email address)")
	}
	db := c.DB()
	var rows []recoveryRow
	err := db.SelectContext(ctx, &rows, recoveryAccountSQL(db.Dialect), email)
	switch {
	case err != nil:
		return nil, err
	case len(rows) == 0:
		return nil, engine.Fail(engine.KindNotFound, "no account with this email")
	case len(rows) > 1:
		return nil, engine.Fail(engine.KindInvalid, "several accounts use this email: contact support")
	case rows[0].Question == "" || rows[0].Hash == "":
		return nil, engine.Fail(engine.KindInvalid, "no password question set for this account: contact support")
	}
	return &rows[0], nil
}

func forgotQuestion(ctx context.Context, c *engine.Call) (format.Result, error) {
	a, err := recoveryAccount(ctx, c)
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK(a.Question), nil
}

func forgotAnswer(ctx context.Context, c *engine.Call) (format.Result, error) {
	answer := c.Param("forgotpasswordanswer")
	if strings.TrimSpace(answer) == "" {
		return engine.Errorf("missing parameter: forgotpasswordanswer"), nil
	}
	newPwd := c.Param("newpassword")
	if newPwd != "" {
		if err := checkPassword(newPwd); err != nil {
			return engine.Errorf("%v", err), nil
		}
	}
	a, err := recoveryAccount(ctx, c)
	if err != nil {
		return format.Result{}, err
	}
	db := c.DB()
	max := c.Config.Int("pwdanswermaxfails")
	r, err := db.ExecContext(ctx, answerFailSQL(db.Dialect), a.ID, max)
	if err != nil {
		return format.Result{}, err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return engine.Errorf("too many wrong answers: password recovery is locked, contact support"), nil
	}
	if subtle.ConstantTimeCompare([]byte(answerHash(a.Username, answer)), []byte(a.Hash)) != 1 {
		return engine.Errorf("wrong answer"), nil
	}
	generated := newPwd == ""
	if generated {
		if newPwd, err = recoveryPassword(12); err != nil {
			return format.Result{}, err
		}
	}
	_, err = db.ExecContext(ctx, recoverPwdSQL(db.Dialect), newPwd, a.ID)
	if err != nil {
		return format.Result{}, err
	}
	if generated {
		return engine.OK("new password: " + newPwd), nil
	}
	return engine.OK("password changed"), nil
}

// recoveryAccountSQL finds up to two enabled accounts of an email.
var recoveryAccountSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(2) +
		"id, username, pwdquestion, pwdanswerhash, pwdanswerfails FROM tb_users WHERE LOWER(email) = LOWER(?) AND enabled <> 0" +
		d.Limit(2))
})

var answerFailSQL = schema.Statement("UPDATE tb_users SET pwdanswerfails = pwdanswerfails + 1 WHERE id = ? AND pwdanswerfails < ?")

var recoverPwdSQL = schema.Statement("UPDATE tb_users SET password = ?, pwdanswerfails = 0 WHERE id = ?")
