-- +goose Up
-- preauth counts a client address's live nonces on every request
-- (engine/nonce.go nonceCount: ip = ? AND expires > ?); under a preauth
-- flood tb_nonces holds many rows, so the count reads this index instead
-- of the table.
CREATE INDEX ix_tb_nonces_ip ON tb_nonces (ip, expires);

-- +goose Down
DROP INDEX ix_tb_nonces_ip;
