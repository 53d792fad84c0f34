package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"mvapi/schema"
)

// Replay protection (issue #10, item 9).
//
// A ck5Gp authmd5 covers only the user, the password, the server salt and
// the client's salt: whoever saw one request can send it again. The engine
// therefore keeps a short-lived record of the hashes it accepted in
// tb_authseen (shared by every node through the database) and refuses a
// hash seen within replaywindow:
//
//	replayprotect 0  off
//	replayprotect 1  for admin-level users (admin, srvadmin; the default)
//	replayprotect 2  for every user
//
// The hot path costs one INSERT, which fails on the primary key (userid,
// digest) when the hash was seen; a row past its window is renewed by an
// UPDATE that only succeeds once. Expired rows are purged lazily by one
// accepted hash in purgeOdds.
//
// With replayprotect >= 1 an admin-level user's authmd5 must carry a client
// salt (authsalt1/authsalt or authsalt2) or a nonce: without one, the hash
// is the same on every request and would be refused as its own replay.
//
// A preauth nonce that a request's hash covered (or that the entry
// required) is single-use: it is deleted when it is accepted, and a second
// use gets a new nonce challenge. Entries whose req_user_login is 4 or 5
// (session nonces) keep the reference's behaviour of reusing a nonce
// until it expires.

const (
	msgReplay    = "auth failed: authmd5 already used: send a new authsalt"
	msgNoSalt    = "auth failed: authmd5 needs an authsalt"
	defaultWin   = time.Hour
	purgeOdds    = 64 // one accepted hash in purgeOdds also purges expired rows
	loginSession = 4  // req_user_login 4 and 5: session nonces (see sessionNonce)
)

// sessionNonce reports whether req_user_login value login lets a nonce be
// used more than once (4: required always, 5: required and from the IP
// that asked for it).
func sessionNonce(login int) bool { return login == loginSession || login == loginSession+1 }

// checkReplay records an accepted authmd5 of user u and refuses one that
// was accepted before within replaywindow, or one without any client salt
// from an admin-level user; per replayprotect. salt1 is the authsalt1 the
// hash was computed with, nonce the full nonce it covered ("" if none).
func (e *Engine) checkReplay(ctx context.Context, c *Call, u *User, sum, salt1, salt2, nonce string) error {
	mode := c.Config.Int("replayprotect")
	if mode <= 0 || (mode == 1 && !u.IsAdmin()) {
		return nil
	}
	if u.IsAdmin() && salt1 == "" && salt2 == "" && nonce == "" {
		return &Error{Kind: KindAuth, Message: msgNoSalt}
	}
	window := time.Duration(c.Config.Int("replaywindow")) * time.Second
	if window <= 0 {
		window = defaultWin
	}
	h := sha256.Sum256([]byte(salt1 + "\x00" + strings.ToLower(sum)))
	digest := hex.EncodeToString(h[:])
	now := time.Now().UTC()
	_, err := e.db.ExecContext(ctx, authSeenInsertSQL(e.db.Dialect), u.ID, digest, now.Add(window))
	if err == nil {
		if rand.IntN(purgeOdds) == 0 {
			e.purgeAuthSeen(ctx, now)
		}
		return nil
	}
	if !schema.IsUniqueViolation(err) {
		return fmt.Errorf("record authmd5: %w", err)
	}
	// Seen. A row past its window that is not purged yet counts as unseen:
	// renew it, which only one of several concurrent requests achieves.
	res, err := e.db.ExecContext(ctx, authSeenRenewSQL(e.db.Dialect), now.Add(window), u.ID, digest, now)
	if err != nil {
		return fmt.Errorf("record authmd5: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	return &Error{Kind: KindAuth, Message: msgReplay}
}

// purgeAuthSeen removes expired rows of tb_authseen (an index on expires
// keeps it cheap); a failure is only logged.
func (e *Engine) purgeAuthSeen(ctx context.Context, now time.Time) {
	if _, err := e.db.ExecContext(ctx, authSeenPurgeSQL(e.db.Dialect), now); err != nil {
		e.log.Warn("purge tb_authseen", "err", err)
	}
}

// spendNonce consumes the nonce a request was accepted with: it is deleted
// atomically, and when another request took it first (or it is gone) the
// answer is a new nonce challenge, as for a request without one. Session
// nonces (req_user_login 4, 5) are not consumed.
func (e *Engine) spendNonce(ctx context.Context, c *Call, nonce string, login int) error {
	if nonce == "" || sessionNonce(login) {
		return nil
	}
	res, err := e.db.ExecContext(ctx, nonceSpendSQL(e.db.Dialect), nonce)
	if err != nil {
		return fmt.Errorf("spend nonce: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	fresh, err := e.nonces.issue(ctx, c.Req.RemoteIP, c.Config.NonceExpiry)
	if err != nil {
		return err
	}
	return Fail(KindDenied, "new nonce is:%sEOF", fresh)
}

var (
	authSeenInsertSQL = schema.Statement("INSERT INTO tb_authseen (userid, digest, expires) VALUES (?, ?, ?)")
	authSeenRenewSQL  = schema.Statement("UPDATE tb_authseen SET expires = ? WHERE userid = ? AND digest = ? AND expires <= ?")
	authSeenPurgeSQL  = schema.Statement("DELETE FROM tb_authseen WHERE expires < ?")
	nonceSpendSQL     = schema.Statement("DELETE FROM tb_nonces WHERE nonce = ?")
)
