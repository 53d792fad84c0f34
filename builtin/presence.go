package builtin

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// Presence: verifyuser and presence_get read the registration columns the
// switch maintains (tb_users.status, statusdate) and the presence string of
// presence_set; presence_set also hands over the caller's offline chat
// messages (im.go), presence_get never does.

func registerPresence(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "verifyuser", Params: []string{"userusername"}, Handler: verifyUser,
			Doc: "Status of a user (userusername): 0 doesn't exist, 1 offline, 2 online, 3 calling, 4 speaking; with userlist (comma separated) OK: puserlist: user1:code1,user2:code2 as the WebPhone reads it."},
		{Name: "presence_get", Params: []string{"userlist", "ptype", "domain"}, Handler: presenceGet,
			Doc: "OK: puserlist: user1:status1,user2:status2 (offline messages are handed over by presence_set only, as the reference says)."},
		{Name: "presence_set", Params: []string{"pstatus", "ptype"}, Handler: presenceSet, NeedsUser: true,
			Doc: "Set the caller's presence string; answers the caller's offline messages (XOFFMESSAGE) too."},
		{Name: "getconfroom", Handler: getConfRoom, NeedsUser: true,
			Doc: "The caller's conference room number (made on first use): OK: conferenceroom: ROOM, one line, as the WebPhone reads it."},
	} {
		b.Access = engine.UserAPI
		reg.Add(b)
	}
}

// statusWords name the reference's status codes in presence lists.
var statusWords = [...]string{"unknown", "offline", "online", "calling", "speaking"}

type presenceRow struct {
	Username     string       `db:"username"`
	Status       int          `db:"status"`
	StatusDate   sql.NullTime `db:"statusdate"`
	Presence     string       `db:"presence"`
	PresenceDate sql.NullTime `db:"presencedate"`
}

// switchStatus is the reference's code of an enabled user.
func (p *presenceRow) switchStatus(cfg *engine.Config) int {
	// presenceSQL reads enabled users only.
	return UserStatus(&engine.User{Status: p.Status, StatusDate: p.StatusDate, Enabled: 1}, cfg)
}

func loadPresence(ctx context.Context, db *schema.DB, names []string) (map[string]*presenceRow, error) {
	out := map[string]*presenceRow{}
	if len(names) == 0 {
		return out, nil
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	var rows []presenceRow
	err := db.SelectContext(ctx, &rows, presenceSQL(db.Dialect, len(names)), args...)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		out[rows[i].Username] = &rows[i]
	}
	return out, nil
}

func verifyUser(ctx context.Context, c *engine.Call) (format.Result, error) {
	if list := c.Param("userlist"); list != "" {
		// The WebPhone asks for several users at once and reads the
		// presence list shape, with the numeric codes.
		return verifyUserList(ctx, c, splitList(list))
	}
	name := firstParam(c, "userusername", "username", "user", "bnum")
	if name == "" {
		return engine.Errorf("missing parameter: userusername or userlist (the users to verify)"), nil
	}
	rows, err := loadPresence(ctx, c.DB(), []string{name})
	if err != nil {
		return format.Result{}, err
	}
	if p := rows[name]; p != nil {
		return engine.OK(strconv.Itoa(p.switchStatus(c.Config))), nil
	}
	return engine.OK("0"), nil
}

// verifyUserList answers OK: puserlist: user1:code1,user2:code2.
func verifyUserList(ctx context.Context, c *engine.Call, names []string) (format.Result, error) {
	if len(names) == 0 {
		return engine.Errorf("missing parameter: userlist (usernames separated by commas)"), nil
	}
	if len(names) > maxPresenceUsers {
		return engine.Errorf("userlist has %d users: at most %d per request", len(names), maxPresenceUsers), nil
	}
	rows, err := loadPresence(ctx, c.DB(), names)
	if err != nil {
		return format.Result{}, err
	}
	parts := make([]string, 0, len(names))
	for _, n := range names {
		code := 0
		if p := rows[n]; p != nil {
			code = p.switchStatus(c.Config)
		}
		parts = append(parts, n+":"+strconv.Itoa(code))
	}
	return engine.OK("puserlist: " + strings.Join(parts, ",")), nil
}

// splitList splits a user list on commas, semicolons or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

const maxPresenceUsers = 100

func presenceGet(ctx context.Context, c *engine.Call) (format.Result, error) {
	names := splitList(firstParam(c, "userlist", "userusername", "username", "user"))
	if len(names) == 0 {
		return engine.Errorf("missing parameter: userlist (usernames separated by commas)"), nil
	}
	if len(names) > maxPresenceUsers {
		return engine.Errorf("userlist has %d users: at most %d per request", len(names), maxPresenceUsers), nil
	}
	rows, err := loadPresence(ctx, c.DB(), names)
	if err != nil {
		return format.Result{}, err
	}
	fresh := time.Duration(c.Config.RegisterExpiry) * time.Second
	now := time.Now()
	parts := make([]string, 0, len(names))
	for _, n := range names {
		word := statusWords[0]
		if p := rows[n]; p != nil {
			word = statusWords[p.switchStatus(c.Config)]
			if p.Presence != "" && p.PresenceDate.Valid && now.Sub(p.PresenceDate.Time) <= fresh {
				word = p.Presence
			}
		}
		parts = append(parts, n+":"+word)
	}
	// No offline messages here: the WebPhone reads XOFFMESSAGE only in the
	// answer of presence_set, so handing them over here would lose them.
	return engine.OK("puserlist: " + strings.Join(parts, ",")), nil
}

func presenceSet(ctx context.Context, c *engine.Call) (format.Result, error) {
	ps := strings.TrimSpace(firstParam(c, "pstatus", "status"))
	if ps == "" {
		return engine.Errorf("missing parameter: pstatus (a presence such as online, away or busy)"), nil
	}
	if len(ps) > 64 || strings.ContainsAny(ps, ":,\r\n") {
		return engine.Errorf("bad pstatus: up to 64 characters without : , or line breaks"), nil
	}
	db := c.DB()
	if _, err := db.ExecContext(ctx, presenceSetSQL(db.Dialect), ps, utcNow(), c.User.ID); err != nil {
		return format.Result{}, err
	}
	msgs, err := takeOfflineMessages(ctx, c)
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK("presence set: " + ps + msgs), nil
}

func getConfRoom(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	d := db.Dialect
	var room, pin string
	for attempt := 0; attempt < 8; attempt++ {
		err := db.QueryRowxContext(ctx, confRoomSQL(d), c.User.ID).Scan(&room, &pin)
		if err == nil {
			// One line: the WebPhone dials what follows the second colon.
			// The PIN (tb_confrooms.pin) is not part of its answer.
			_ = pin
			return engine.OK("conferenceroom: " + room), nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return format.Result{}, err
		}
		digits6, err1 := randomDigits(6)
		newPin, err2 := randomDigits(4)
		if err := errors.Join(err1, err2); err != nil {
			return format.Result{}, err
		}
		// A taken room number or a parallel request for the same user is a
		// unique violation: look again, then retry with a new number.
		_, err = db.ExecContext(ctx, confRoomInsertSQL(d),
			c.User.ID, c.Config.Get("confroomprefix")+digits6, newPin, utcNow())
		if err != nil && !isUnique(err) {
			return format.Result{}, err
		}
	}
	return engine.Errorf("could not allocate a conference room, try again"), nil
}

// presenceSQL reads the presence of n (at least 1) usernames.
func presenceSQL(d schema.Dialect, n int) string {
	return d.Rebind(`SELECT username, status, statusdate, presence, presencedate
 FROM tb_users WHERE enabled <> 0 AND temporarydisabled = 0 AND username IN (?` + strings.Repeat(", ?", n-1) + ")")
}

var presenceSetSQL = schema.Statement("UPDATE tb_users SET presence = ?, presencedate = ? WHERE id = ?")

var confRoomSQL = schema.Statement("SELECT room, pin FROM tb_confrooms WHERE userid = ?")

var confRoomInsertSQL = schema.Statement("INSERT INTO tb_confrooms (userid, room, pin, created) VALUES (?, ?, ?, ?)")
