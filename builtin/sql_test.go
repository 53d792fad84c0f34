package builtin

import (
	"mvapi/engine"
	"strings"
	"testing"
	"time"

	"mvapi/schema"
	"mvapi/schema/schematest"
)

// TestRatingSQL pins the statement rating sends to each dialect.
func TestRatingSQL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    schema.Dialect
		want string
	}{
		{schema.SQLite, "SELECT destination, price, currency FROM tb_rates WHERE prefix IN (?, ?, ?) ORDER BY LENGTH(prefix) DESC LIMIT 1"},
		{schema.Postgres, "SELECT destination, price, currency FROM tb_rates WHERE prefix IN ($1, $2, $3) ORDER BY LENGTH(prefix) DESC LIMIT 1"},
		{schema.SQLServer, "SELECT TOP 1 destination, price, currency FROM tb_rates WHERE prefix IN (@p1, @p2, @p3) ORDER BY LEN(prefix) DESC"},
	} {
		if got := ratingSQL(c.d, 3); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.d.Name, got, c.want)
		}
	}
}

// TestSQLServerStatements pins the T-SQL of every statement the built-in entries build (SQL Server
// cannot run here): the exact text sent with the SQLServer dialect, and
// no construct of another dialect in it.
func TestSQLServerStatements(t *testing.T) {
	t.Parallel()
	d := schema.SQLServer
	for _, c := range []struct{ name, got, want string }{
		{"creditChange debit", creditChangeSQL(d, true),
			`UPDATE tb_users SET credit = ROUND(credit + @p1, 4)
 WHERE id = @p2 AND (credit >= @p3 OR postpaid <> 0)`},
		{"creditChange credit", creditChangeSQL(d, false),
			`UPDATE tb_users SET credit = ROUND(credit + @p1, 4) WHERE id = @p2`},
		{"creditLog", creditLogSQL(d),
			`INSERT INTO tb_creditlog (datum, userid, amount, kind, otheruserid, ref, reqid)
 VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7)`},
		{"requestGet", requestGetSQL(d),
			`SELECT entry, answer FROM tb_requests WHERE caller = @p1 AND reqid = @p2`},
		{"requestPut", requestPutSQL(d),
			`INSERT INTO tb_requests (caller, reqid, entry, answer, datum) VALUES (@p1, @p2, @p3, @p4, @p5)`},
		{"creditOf", creditOfSQL(d),
			`SELECT credit FROM tb_users WHERE id = @p1`},
		{"findAccount username", findAccountSQL(d, "username = ?"),
			`SELECT id, username, type, currency, parentid, status, statusdate,
 CASE WHEN enabled <> 0 AND temporarydisabled = 0 THEN 1 ELSE 0 END AS enabled FROM tb_users WHERE username = @p1`},
		{"findAccount pin", findAccountSQL(d, "pin = ? AND pin <> ''"),
			`SELECT id, username, type, currency, parentid, status, statusdate,
 CASE WHEN enabled <> 0 AND temporarydisabled = 0 THEN 1 ELSE 0 END AS enabled FROM tb_users WHERE pin = @p1 AND pin <> ''`},
		{"details max", detailsSQL(d, detailColumns["max"]),
			`SELECT id, username, name, credit, currency, postpaid, email, phone, country, address, displayname, callbacknumber, presence, created, changesptoring, choosecodecs, connectvoice, convertdtmf, discvoice, forwardalways, forwardearlystart, forwardonbusy, forwardonnoanswer, musiconhold, needcodecconversion, noanswertimeout, notifymissedemail, notifymissedsms, playadv, playdisc, senddailyemail, sendemailalert, sendlowcreditemail, sendlowecreditemail, sendmonthlyemail, sendotheremail, sendsmsalert, sendsmsreport, voicemail, voicemailalways, voicemailonbusy, voicemailonnoansw, billaddress, birthday, contactname, email2, euregnumber, fax, gender, language, postaddress, regnumber, utc, type, parentid, pwdquestion FROM tb_users WHERE id = @p1`},
		{"pwdQuestion", pwdQuestionSQL(d),
			`UPDATE tb_users SET pwdquestion = @p1, pwdanswerhash = @p2, pwdanswerfails = 0 WHERE id = @p3`},
		{"changePwd", changePwdSQL(d),
			`UPDATE tb_users SET password = @p1 WHERE id = @p2 AND password = @p3`},
		{"cdr list admin", cdrListSQL(d, strings.Join(cdrFields["all"], ", ")+", providercost, cost - providercost AS profit", sqlCDRWhere(map[string]string{"days": "7", "caller": "1234", "called": "555", "prefix": "36", "type": "connected", "userid": "9"}, nil), "date", 100),
			`SELECT TOP 100 id, datum, callerid, calledid, caller, called, callednumber, duration, cost, price, sipcallid, reasoncode, providercost, cost - providercost AS profit FROM tb_cdrs WHERE callerid = @p1 AND datum >= @p2 AND (callerid = @p3 OR caller = @p4) AND (called = @p5 OR callednumber = @p6) AND called LIKE @p7 AND duration > 0 ORDER BY datum DESC, id DESC`},
		{"cdr list enduser", cdrListSQL(d, strings.Join(cdrFields["normal"], ", "), sqlCDRWhere(map[string]string{"caller": "bob", "cdrid": "5"}, &engine.User{ID: 7}), "caller", 20),
			`SELECT TOP 20 id, datum, caller, called, duration, cost, reasoncode FROM tb_cdrs WHERE (callerid = @p1 OR calledid = @p2) AND caller = @p3 AND id = @p4 ORDER BY caller, datum DESC`},
		{"cdr list reseller out", cdrListSQL(d, strings.Join(cdrFields["min"], ", "), sqlCDRWhere(map[string]string{"dir": "out", "days": "yesterday", "type": "notconnected"}, &engine.User{ID: 7, Type: engine.TypeReseller}), "user", 10),
			`SELECT TOP 10 datum, caller, called, duration FROM tb_cdrs WHERE (callerid = @p1 OR callerid IN (SELECT id FROM tb_users WHERE parentid = @p2)) AND datum >= @p3 AND datum < @p4 AND duration = 0 ORDER BY callerid, datum DESC`},
		{"cdr list no filter", cdrListSQL(d, strings.Join(cdrFields["min"], ", "), sqlCDRWhere(nil, nil), "called", 100),
			`SELECT TOP 100 datum, caller, called, duration FROM tb_cdrs ORDER BY called, datum DESC`},
		{"cdr totals", cdrTotalsSQL(d, sqlCDRWhere(map[string]string{"dir": "in"}, &engine.User{ID: 7})),
			`SELECT COUNT(*), COALESCE(SUM(CASE WHEN duration > 0 THEN 1 ELSE 0 END), 0),
 COALESCE(SUM(duration), 0), COALESCE(SUM(cost), 0), COALESCE(SUM(providercost), 0) FROM tb_cdrs WHERE calledid = @p1`},
		{"cdr by caller", cdrGroupsSQL(d, "caller", sqlCDRWhere(map[string]string{"parentuserid": "3"}, nil), 50),
			`SELECT TOP 50 caller, COUNT(*), COALESCE(SUM(CASE WHEN duration > 0 THEN 1 ELSE 0 END), 0),
 COALESCE(SUM(duration), 0), COALESCE(SUM(cost), 0), COALESCE(SUM(providercost), 0) FROM tb_cdrs WHERE callerid IN (SELECT id FROM tb_users WHERE parentid = @p1) GROUP BY caller ORDER BY caller`},
		{"cdr by day", cdrByDaySQL(d, sqlCDRWhere(map[string]string{"days": "30"}, nil)),
			`SELECT datum, duration, cost, providercost FROM tb_cdrs WHERE datum >= @p1`},
		{"recordings", recordingsSQL(d, sqlRecordingsWhere(), 10),
			`SELECT TOP 10 id, sipcallid, recordingfile FROM tb_cdrs WHERE (callerid = @p1 OR calledid = @p2) AND datum >= @p3 AND sipcallid = @p4 AND recordingfile <> '' ORDER BY datum DESC, id DESC`},
		{"recoveryAccount", recoveryAccountSQL(d),
			`SELECT TOP 2 id, username, pwdquestion, pwdanswerhash, pwdanswerfails FROM tb_users WHERE LOWER(email) = LOWER(@p1) AND enabled <> 0`},
		{"answerFail", answerFailSQL(d),
			`UPDATE tb_users SET pwdanswerfails = pwdanswerfails + 1 WHERE id = @p1 AND pwdanswerfails < @p2`},
		{"recoverPwd", recoverPwdSQL(d),
			`UPDATE tb_users SET password = @p1, pwdanswerfails = 0 WHERE id = @p2`},
		{"sizes", strings.Join(sqlSizes(d), "; "),
			`SELECT COUNT(*) FROM tb_users; SELECT COUNT(*) FROM tb_bannedips WHERE expires IS NULL OR expires > @p1; SELECT COUNT(*) FROM tb_nonces WHERE expires > @p1; SELECT COUNT(*) FROM tb_switchrequests WHERE status = 0; SELECT COUNT(*) FROM tb_outbox WHERE status = 'pending'`},
		{"activity", sqlActivity(d),
			`SELECT COUNT(*) FROM tb_users WHERE created >= @p1; SELECT COUNT(*), COALESCE(SUM(duration), 0), COALESCE(SUM(cost), 0) FROM tb_cdrs WHERE datum >= @p1; SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM tb_creditlog WHERE datum >= @p1`},
		{"configRows", configRowsSQL(d),
			`SELECT name, value FROM tb_globalconfig`},
		{"configUpdate", configUpdateSQL(d),
			`UPDATE tb_globalconfig SET value = @p1 WHERE name = @p2`},
		{"configInsert", configInsertSQL(d),
			`INSERT INTO tb_globalconfig (name, value) VALUES (@p1, @p2)`},
		{"imCount", imCountSQL(d),
			`SELECT COUNT(*) FROM tb_offlinemessages WHERE touserid = @p1 AND delivered IS NULL`},
		{"imInsert", imInsertSQL(d),
			`INSERT INTO tb_offlinemessages (fromuserid, fromusername, touserid, txt, created)
 VALUES (@p1, @p2, @p3, @p4, @p5)`},
		{"imTake", imTakeSQL(d),
			`SELECT TOP 50 id, fromusername, txt FROM tb_offlinemessages
 WHERE touserid = @p1 AND delivered IS NULL ORDER BY id`},
		{"imDelivered", imDeliveredSQL(d),
			`UPDATE tb_offlinemessages SET delivered = @p1 WHERE id = @p2 AND delivered IS NULL`},
		{"userCount", userCountSQL(d),
			`SELECT COUNT(*) FROM tb_users`},
		{"deviceIDRead", deviceIDReadSQL(d),
			`SELECT value FROM tb_globalconfig WHERE name = 'deviceid'`},
		{"deviceIDInsert", deviceIDInsertSQL(d),
			`INSERT INTO tb_globalconfig (name, value) VALUES ('deviceid', @p1)`},
		{"deviceIDFill", deviceIDFillSQL(d),
			`UPDATE tb_globalconfig SET value = @p1 WHERE name = 'deviceid' AND value = ''`},
		{"freeNumbers 5", freeNumbersSQL(d, 5),
			`SELECT TOP 5 number FROM tb_phonenumbers WHERE enabled <> 0 AND (userid IS NULL OR (lockeduntil IS NOT NULL AND lockeduntil < @p1)) ORDER BY number`},
		{"freeNumbers 1", freeNumbersSQL(d, 1),
			`SELECT TOP 1 number FROM tb_phonenumbers WHERE enabled <> 0 AND (userid IS NULL OR (lockeduntil IS NOT NULL AND lockeduntil < @p1)) ORDER BY number`},
		{"heldNumbers", heldNumbersSQL(d),
			`SELECT COUNT(*) FROM tb_phonenumbers WHERE userid = @p1 AND (lockeduntil IS NULL OR lockeduntil >= @p2)`},
		{"claimNumber", claimNumberSQL(d),
			`UPDATE tb_phonenumbers SET userid = @p1, lockeduntil = @p2, lockedat = @p3
 WHERE number = @p4 AND (enabled <> 0 AND (userid IS NULL OR (lockeduntil IS NOT NULL AND lockeduntil < @p5)) OR (userid = @p6 AND lockeduntil IS NOT NULL))`},
		{"numberID", numberIDSQL(d),
			`SELECT id FROM tb_phonenumbers WHERE number = @p1`},
		{"pinClaim", pinClaimSQL(d),
			`UPDATE tb_pins SET usedby = @p1, usedat = @p2
 WHERE pin = @p3 AND usedby IS NULL AND enabled <> 0 AND (expires IS NULL OR expires > @p4)`},
		{"pinValue", pinValueSQL(d),
			`SELECT value, currency FROM tb_pins WHERE pin = @p1`},
		{"unban all", unbanSQL(d, true),
			`DELETE FROM tb_bannedips`},
		{"unban ip", unbanSQL(d, false),
			`DELETE FROM tb_bannedips WHERE ip = @p1`},
		{"presence 3", presenceSQL(d, 3),
			`SELECT username, status, statusdate, presence, presencedate
 FROM tb_users WHERE enabled <> 0 AND temporarydisabled = 0 AND username IN (@p1, @p2, @p3)`},
		{"presence 1", presenceSQL(d, 1),
			`SELECT username, status, statusdate, presence, presencedate
 FROM tb_users WHERE enabled <> 0 AND temporarydisabled = 0 AND username IN (@p1)`},
		{"presenceSet", presenceSetSQL(d),
			`UPDATE tb_users SET presence = @p1, presencedate = @p2 WHERE id = @p3`},
		{"confRoom", confRoomSQL(d),
			`SELECT room, pin FROM tb_confrooms WHERE userid = @p1`},
		{"confRoomInsert", confRoomInsertSQL(d),
			`INSERT INTO tb_confrooms (userid, room, pin, created) VALUES (@p1, @p2, @p3, @p4)`},
		{"delUserFind id", delUserFindSQL(d, "id"),
			`SELECT id, username, type FROM tb_users WHERE id = @p1`},
		{"delUserFind username", delUserFindSQL(d, "username"),
			`SELECT id, username, type FROM tb_users WHERE username = @p1`},
		{"delUser", delUserSQL(d),
			`DELETE FROM tb_users WHERE id = @p1`},
		{"listUsers extended", listUsersSQL(d, append(append([]string{}, listColumns...), listExtended...), false, "credit DESC", 10000),
			`SELECT TOP 10000 id, username, type, name, credit, currency, enabled, email, phone, country, postpaid, temporarydisabled, status, statusdate, ip, parentid, created FROM tb_users ORDER BY credit DESC`},
		{"setUserField", setUserFieldSQL(d, "forwardalways", false),
			`UPDATE tb_users SET forwardalways = @p1 WHERE id = @p2`},
		{"setUserField once", setUserFieldSQL(d, "language", true),
			`UPDATE tb_users SET language = @p1 WHERE id = @p2 AND language = ''`},
		{"currentCall", currentCallSQL(d),
			`SELECT userid, called, started FROM tb_currentcalls WHERE callid = @p1`},
		{"endedCall", endedCallSQL(d),
			`SELECT TOP 1 callerid, duration, cost FROM tb_cdrs WHERE sipcallid = @p1 ORDER BY id DESC`},
		{"callerCredit", callerCreditSQL(d),
			`SELECT credit, postpaid, currency FROM tb_users WHERE id = @p1`},
		{"rating 1", ratingSQL(d, 1),
			`SELECT TOP 1 destination, price, currency FROM tb_rates WHERE prefix IN (@p1) ORDER BY LEN(prefix) DESC`},
		{"switchRequest", switchRequestSQL(d),
			`INSERT INTO tb_switchrequests
 (kind, userid, anum, bnum, cnum, filename, options, status, result, created, updated) OUTPUT INSERTED.id VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, '', @p9, @p10)`},
		{"switchStatus", switchStatusSQL(d),
			`SELECT status, result FROM tb_switchrequests WHERE id = @p1`},
		{"switchCancel", switchCancelSQL(d),
			`UPDATE tb_switchrequests SET status = @p1, updated = @p2 WHERE id = @p3 AND status = @p4`},
		{"callbackNumber", callbackNumberSQL(d),
			`SELECT callbacknumber FROM tb_users WHERE id = @p1`},
		{"userSearch admin", userSearchSQL(d, []string{"id", "username", "name", "email", "phone", "type", "credit", "enabled"}, false, 20),
			`SELECT TOP 20 id, username, name, email, phone, type, credit, enabled, status, statusdate FROM tb_users WHERE (LOWER(username) LIKE @p1 ESCAPE '\' OR LOWER(name) LIKE @p2 ESCAPE '\') ORDER BY username`},
		{"userSearch user", userSearchSQL(d, []string{"username", "name"}, true, 5),
			`SELECT TOP 5 username, name, status, statusdate FROM tb_users WHERE (LOWER(username) LIKE @p1 ESCAPE '\' OR LOWER(name) LIKE @p2 ESCAPE '\') AND enabled <> 0 AND type = 0 AND parentid = @p3 ORDER BY username`},
		{"cliOwner", cliOwnerSQL(d),
			`SELECT userid FROM tb_clis WHERE number = @p1`},
		{"cliCount", cliCountSQL(d),
			`SELECT COUNT(*) FROM tb_clis WHERE userid = @p1`},
		{"cliInsert", cliInsertSQL(d),
			`INSERT INTO tb_clis (userid, number, created) VALUES (@p1, @p2, @p3)`},
		{"setCallbackNumber", setCallbackNumberSQL(d),
			`UPDATE tb_users SET callbacknumber = @p1 WHERE id = @p2`},
		{"callForward 1", callForwardSQL(d, []string{"forwardonbusy"}),
			`UPDATE tb_users SET forwardonbusy = @p1 WHERE id = @p2`},
		{"callForward 3", callForwardSQL(d, []string{"forwardalways", "forwardonbusy", "forwardonnoanswer"}),
			`UPDATE tb_users SET forwardalways = @p1, forwardonbusy = @p2, forwardonnoanswer = @p3 WHERE id = @p4`},
		{"forwards", forwardsSQL(d),
			`SELECT forwardalways, forwardonbusy, forwardonnoanswer FROM tb_users WHERE id = @p1`},
		{"tables", d.TablesSQL(),
			`SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA = SCHEMA_NAME()`},
		{"columns", d.ColumnsSQL(),
			`SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = SCHEMA_NAME() AND TABLE_NAME = @p1 ORDER BY ORDINAL_POSITION`},
		{"lockWaits", d.LockWaitsSQL(),
			`SELECT CAST(request_session_id AS NVARCHAR(20)), resource_type, request_mode,
 CAST(resource_description AS NVARCHAR(200)) FROM sys.dm_tran_locks WHERE request_status = 'WAIT' AND resource_database_id = DB_ID()`},
		{"getField", getFieldSQL(d, "tb_users", "email", "username", false, true),
			`SELECT TOP 1 [email] FROM [tb_users] WHERE [username] = @p1 ORDER BY [id]`},
		{"addServer", addServerSQL(d, []string{"type", "username", "password", "domain", "port", "proxy", "transport", "needauth", "routing", "routingpriority"}),
			`INSERT INTO tb_users ([type], [username], [password], [domain], [port], [proxy], [transport], [needauth], [routing], [routingpriority]) OUTPUT INSERTED.id VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10)`},
		{"likeEscape", d.LikeEscape(`50%_a[b]\\c`),
			`50\%\_a\[b]\\\\c`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
		if h := schematest.TSQLHazards(c.got); len(h) > 0 {
			t.Errorf("%s: not T-SQL: %v\n%s", c.name, h, c.got)
		}
	}
}

// sqlCDRWhere builds the WHERE of cdr for params as caller u (nil: an admin).
func sqlCDRWhere(params map[string]string, u *engine.User) *cdrWhere {
	f, err := parseCDRFilter(func(n string) string { return params[n] }, time.Date(2024, 5, 31, 12, 0, 0, 0, time.UTC), 100)
	if err != nil {
		panic(err)
	}
	var w cdrWhere
	all, _, ok := cdrScope(&engine.Call{User: u, Admin: u == nil}, f, &w)
	if !ok {
		panic("cdr scope")
	}
	cdrConditions(f, all, &w)
	return &w
}

func sqlRecordingsWhere() *cdrWhere {
	w := sqlCDRWhere(map[string]string{"callid": "abc", "fromdt": "2024-05-01"}, &engine.User{ID: 7})
	w.add("recordingfile <> ''")
	return w
}

func sqlActivity(d schema.Dialect) string {
	qs := activitySQL(d)
	return strings.Join(qs[:], "; ")
}

func sqlSizes(d schema.Dialect) []string {
	var out []string
	for _, q := range sizeQueries(d, time.Time{}) {
		out = append(out, q.sql)
	}
	return out
}
