package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"mvapi/schema"
)

// Nonces shorter than this prefix are not accepted.
const noncePrefixLen = 10

// nonceStore keeps preauth nonces in tb_nonces so that any node accepts
// a nonce another node handed out.
type nonceStore struct{ db *schema.DB }

const nonceAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// issue creates and stores a new nonce for ip.
func (s nonceStore) issue(ctx context.Context, ip netip.Addr, expirySeconds int) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	for i := range b {
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	n := string(b)
	now := time.Now().UTC()
	_, err := s.db.ExecContext(ctx, nonceInsert(s.db.Dialect), n, n[:noncePrefixLen], ip.String(), now, now.Add(time.Duration(expirySeconds)*time.Second))
	if err != nil {
		return "", fmt.Errorf("store nonce: %w", err)
	}
	return n, nil
}

// find returns the full nonce that sent is a prefix of (at least 10
// characters), unexpired and, with sameIP, issued to ip; "" when none.
func (s nonceStore) find(ctx context.Context, sent string, ip netip.Addr, sameIP bool) (string, error) {
	if len(sent) < noncePrefixLen {
		return "", nil
	}
	rows, err := s.db.QueryContext(ctx, nonceFind(s.db.Dialect), sent[:noncePrefixLen], time.Now().UTC())
	if err != nil {
		return "", fmt.Errorf("find nonce: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n, nip string
		if err := rows.Scan(&n, &nip); err != nil {
			return "", fmt.Errorf("find nonce: %w", err)
		}
		if strings.HasPrefix(n, sent) && (!sameIP || nip == ip.String()) {
			return n, nil
		}
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("find nonce: %w", err)
	}
	return "", nil
}

// outstanding counts the unexpired nonces issued to ip (maxnoncesperip).
func (s nonceStore) outstanding(ctx context.Context, ip netip.Addr) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, nonceCount(s.db.Dialect), ip.String(), time.Now().UTC()); err != nil {
		return 0, fmt.Errorf("count nonces: %w", err)
	}
	return n, nil
}

var nonceCount = schema.Statement("SELECT COUNT(*) FROM tb_nonces WHERE ip = ? AND expires > ?")

var nonceInsert = schema.Statement("INSERT INTO tb_nonces (nonce, prefix, ip, created, expires) VALUES (?, ?, ?, ?, ?)")

var nonceFind = schema.Statement("SELECT nonce, ip FROM tb_nonces WHERE prefix = ? AND expires > ?")
