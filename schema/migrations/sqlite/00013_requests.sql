-- +goose Up
-- One row per money-moving request that committed with a request id
-- (reqid or the HTTP Idempotency-Key): written in the same transaction as
-- the credit change, so a retry of a committed request finds its answer
-- here and moves no money twice. caller is "u<user id>" or "ip:<address>".
CREATE TABLE tb_requests (
    caller TEXT NOT NULL,
    reqid  TEXT NOT NULL,
    entry  TEXT NOT NULL,
    answer TEXT NOT NULL,
    datum  TIMESTAMP NOT NULL,
    PRIMARY KEY (caller, reqid)
);
CREATE INDEX ix_tb_requests_datum ON tb_requests (datum);
-- The request id of each credit movement, to match an answer to its rows.
ALTER TABLE tb_creditlog ADD COLUMN reqid TEXT NOT NULL DEFAULT '';

-- +goose Down
DROP TABLE tb_requests;
ALTER TABLE tb_creditlog DROP COLUMN reqid;
