-- +goose Up
-- The audit trail of admin changes (setfield/getfield on another user,
-- database writes, changepwd, addcredit, setini/putfile, apireload/reload,
-- user add/delete, console logins), written by the engine after the entry
-- ran. params are the request parameters as JSON with secrets masked;
-- outcome is ok or the failure kind, detail the answer's first line.
-- Times are UTC. The monthly maintenance removes rows older than auditdays.
CREATE TABLE tb_auditlog (
    id      BIGINT IDENTITY(1,1) PRIMARY KEY,
    datum   DATETIME2 NOT NULL,
    node    NVARCHAR(128) NOT NULL DEFAULT '',
    userid  BIGINT,
    username NVARCHAR(128) NOT NULL DEFAULT '',
    ip      NVARCHAR(128) NOT NULL DEFAULT '',
    entry   NVARCHAR(128) NOT NULL DEFAULT '',
    params  NVARCHAR(MAX) NOT NULL DEFAULT '{}',
    outcome NVARCHAR(128) NOT NULL DEFAULT '',
    detail  NVARCHAR(MAX) NOT NULL DEFAULT '',
    request NVARCHAR(128) NOT NULL DEFAULT ''
);
CREATE INDEX ix_tb_auditlog_datum ON tb_auditlog (datum);

-- One row the readiness probe (/ready, hearthbeat mode=full) updates: a
-- cheap write that fails when the database cannot be written (disk full,
-- read-only, locked beyond the probe's timeout).
CREATE TABLE tb_health (
    id     INTEGER PRIMARY KEY,
    probed DATETIME2,
    node   NVARCHAR(128) NOT NULL DEFAULT ''
);
INSERT INTO tb_health (id, node) VALUES (1, '');

-- +goose Down
DROP TABLE tb_health;
DROP TABLE tb_auditlog;
