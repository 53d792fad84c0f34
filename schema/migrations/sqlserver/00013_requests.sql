-- +goose Up
-- One row per money-moving request that committed with a request id
-- (reqid or the HTTP Idempotency-Key): written in the same transaction as
-- the credit change, so a retry of a committed request finds its answer
-- here and moves no money twice. caller is "u<user id>" or "ip:<address>".
CREATE TABLE tb_requests (
    caller NVARCHAR(100) NOT NULL,
    reqid  NVARCHAR(100) NOT NULL,
    entry  NVARCHAR(100) NOT NULL,
    answer NVARCHAR(MAX) NOT NULL,
    datum  DATETIME2 NOT NULL,
    PRIMARY KEY (caller, reqid)
);
CREATE INDEX ix_tb_requests_datum ON tb_requests (datum);
-- The request id of each credit movement, to match an answer to its rows.
ALTER TABLE tb_creditlog ADD reqid NVARCHAR(100) NOT NULL CONSTRAINT df_tb_creditlog_reqid DEFAULT '';

-- +goose Down
DROP TABLE tb_requests;
ALTER TABLE tb_creditlog DROP CONSTRAINT df_tb_creditlog_reqid;
ALTER TABLE tb_creditlog DROP COLUMN reqid;
