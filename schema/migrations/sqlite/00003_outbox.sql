-- +goose Up
-- The durable outbox of email and SMS (package actions). A row is written
-- in the request's transaction, claimed by one worker of one node at a time
-- through lease_until/worker, and ends as 'sent' or 'dead' (a dead letter
-- keeps its last error). idemkey is the idempotency key sent with every
-- attempt (email Message-ID, gateway Idempotency-Key). Times are UTC.
CREATE TABLE tb_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,               -- email or sms
    idemkey      TEXT    NOT NULL,
    recipients   TEXT    NOT NULL,               -- one address or number per line
    sender       TEXT    NOT NULL DEFAULT '',
    subject      TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL DEFAULT '',
    html         INTEGER NOT NULL DEFAULT 0,
    isunicode    INTEGER NOT NULL DEFAULT 0,
    entry        TEXT    NOT NULL DEFAULT '',    -- tb_api fname that sent it
    userid       INTEGER,                        -- tb_users.id of the request
    params       TEXT    NOT NULL DEFAULT '{}',  -- request parameters (JSON, no credentials)
    onfailure    INTEGER NOT NULL DEFAULT 0,     -- 1: a dead letter fires the entry's failure action
    status       TEXT    NOT NULL DEFAULT 'pending', -- pending, sent, dead
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TIMESTAMP NOT NULL,
    lease_until  TIMESTAMP,
    worker       TEXT,
    last_error   TEXT    NOT NULL DEFAULT '',
    result       TEXT    NOT NULL DEFAULT '',    -- the server's answer on delivery
    created      TIMESTAMP NOT NULL,
    sent_at      TIMESTAMP
);
CREATE UNIQUE INDEX ux_tb_outbox_idemkey ON tb_outbox (idemkey);
CREATE INDEX ix_tb_outbox_due ON tb_outbox (status, next_attempt);

-- +goose Down
DROP TABLE tb_outbox;
