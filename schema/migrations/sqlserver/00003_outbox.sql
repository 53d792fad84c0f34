-- +goose Up
-- The durable outbox of email and SMS (package actions). A row is written
-- in the request's transaction, claimed by one worker of one node at a time
-- through lease_until/worker, and ends as 'sent' or 'dead' (a dead letter
-- keeps its last error). idemkey is the idempotency key sent with every
-- attempt (email Message-ID, gateway Idempotency-Key). Times are UTC.
CREATE TABLE tb_outbox (
    id           BIGINT IDENTITY(1,1) PRIMARY KEY,
    kind         NVARCHAR(16)  NOT NULL,
    idemkey      NVARCHAR(64)  NOT NULL,
    recipients   NVARCHAR(MAX) NOT NULL,
    sender       NVARCHAR(255) NOT NULL DEFAULT '',
    subject      NVARCHAR(MAX) NOT NULL DEFAULT '',
    body         NVARCHAR(MAX) NOT NULL DEFAULT '',
    html         INT NOT NULL DEFAULT 0,
    isunicode    INT NOT NULL DEFAULT 0,
    entry        NVARCHAR(255) NOT NULL DEFAULT '',
    userid       BIGINT,
    params       NVARCHAR(MAX) NOT NULL DEFAULT '{}',
    onfailure    INT NOT NULL DEFAULT 0,
    status       NVARCHAR(16)  NOT NULL DEFAULT 'pending',
    attempts     INT NOT NULL DEFAULT 0,
    next_attempt DATETIME2 NOT NULL,
    lease_until  DATETIME2,
    worker       NVARCHAR(255),
    last_error   NVARCHAR(MAX) NOT NULL DEFAULT '',
    result       NVARCHAR(MAX) NOT NULL DEFAULT '',
    created      DATETIME2 NOT NULL,
    sent_at      DATETIME2
);
CREATE UNIQUE INDEX ux_tb_outbox_idemkey ON tb_outbox (idemkey);
CREATE INDEX ix_tb_outbox_due ON tb_outbox (status, next_attempt);

-- +goose Down
DROP TABLE tb_outbox;
