package builtin

import (
	"context"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

func registerIM(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "sendim", Params: []string{"bnum", "txt"}, Handler: sendIM, NeedsUser: true,
			Doc: "Store a chat message for one user (bnum) or several (buserlist) until they fetch their presence."},
	} {
		b.Access = engine.UserAPI
		reg.Add(b)
	}
}

// Chat messages: mvapi carries no SIP MESSAGE, so sendim stores every
// message in tb_offlinemessages and the recipient receives it with its next
// presence_get or presence_set, in the reference's XOFFMESSAGE format.

const (
	maxIMText       = 2000
	maxIMRecipients = 50
	maxIMPerAnswer  = 50
)

func sendIM(ctx context.Context, c *engine.Call) (format.Result, error) {
	names := splitList(firstParam(c, "buserlist", "bnum", "userlist"))
	if len(names) == 0 {
		return engine.Errorf("missing parameter: bnum or buserlist (the recipients' usernames)"), nil
	}
	if len(names) > maxIMRecipients {
		return engine.Errorf("%d recipients: at most %d per message", len(names), maxIMRecipients), nil
	}
	txt := c.Param("txt")
	if strings.TrimSpace(txt) == "" {
		return engine.Errorf("missing parameter: txt (the message)"), nil
	}
	if len(txt) > maxIMText {
		return engine.Errorf("txt is %d bytes long: at most %d", len(txt), maxIMText), nil
	}
	db := c.DB()
	d := db.Dialect
	ids := map[string]int64{}
	var unknown []string
	for _, n := range names {
		if _, dup := ids[n]; dup {
			continue
		}
		a, err := findAccount(ctx, db, n, false)
		if err != nil {
			return format.Result{}, err
		}
		if a == nil || !a.Enabled {
			unknown = append(unknown, clipText(n, 32))
			continue
		}
		ids[n] = a.ID
	}
	if len(unknown) > 0 {
		return engine.Errorf("no such user: %s; nothing was sent", strings.Join(unknown, ", ")), nil
	}
	max := c.Config.Int("offlinemsgmax")
	now := utcNow()
	var full string
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		for name, id := range ids {
			var n int
			if err := tx.GetContext(ctx, &n, imCountSQL(d), id); err != nil {
				return err
			}
			if n >= max {
				full = name
				return errNoFunds // any sentinel: roll back
			}
			if _, err := tx.ExecContext(ctx, imInsertSQL(d), c.User.ID, c.User.Username, id, txt, now); err != nil {
				return err
			}
		}
		return nil
	})
	if full != "" {
		return engine.Errorf("%s has %d undelivered messages, the most kept: nothing was sent", full, max), nil
	}
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK("message stored for " + strconv.Itoa(len(ids)) + " users"), nil
}

// takeOfflineMessages claims the caller's undelivered messages (each with
// its own conditional UPDATE, so two parallel requests never both deliver
// one) and renders them as XOFFMESSAGE:from:text...XOFFMESSAGE:, or "".
func takeOfflineMessages(ctx context.Context, c *engine.Call) (string, error) {
	if c.User == nil {
		return "", nil
	}
	db := c.DB()
	d := db.Dialect
	var msgs []struct {
		ID   int64  `db:"id"`
		From string `db:"fromusername"`
		Txt  string `db:"txt"`
	}
	err := db.SelectContext(ctx, &msgs, imTakeSQL(d), c.User.ID)
	if err != nil || len(msgs) == 0 {
		return "", err
	}
	var b strings.Builder
	now := utcNow()
	for _, m := range msgs {
		r, err := db.ExecContext(ctx, imDeliveredSQL(d), now, m.ID)
		if err != nil {
			return "", err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			continue
		}
		b.WriteString("XOFFMESSAGE:" + m.From + ":" + imText(m.Txt))
	}
	if b.Len() == 0 {
		return "", nil
	}
	return " " + b.String() + "XOFFMESSAGE:", nil
}

// imText keeps a message on one line and free of the XOFFMESSAGE marker
// (in any letter case), which would split it for the client.
func imText(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
	const marker = "XOFFMESSAGE"
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+len(marker) <= len(s) && strings.EqualFold(s[i:i+len(marker)], marker) {
			b.WriteString("XOFF MESSAGE")
			i += len(marker)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

var imCountSQL = schema.Statement("SELECT COUNT(*) FROM tb_offlinemessages WHERE touserid = ? AND delivered IS NULL")

var imInsertSQL = schema.Statement(`INSERT INTO tb_offlinemessages (fromuserid, fromusername, touserid, txt, created)
 VALUES (?, ?, ?, ?, ?)`)

var imTakeSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.Rebind("SELECT " + d.Top(maxIMPerAnswer) + `id, fromusername, txt FROM tb_offlinemessages
 WHERE touserid = ? AND delivered IS NULL ORDER BY id` + d.Limit(maxIMPerAnswer))
})

var imDeliveredSQL = schema.Statement("UPDATE tb_offlinemessages SET delivered = ? WHERE id = ? AND delivered IS NULL")
