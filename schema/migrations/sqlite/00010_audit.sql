-- +goose Up
-- The audit trail of admin changes (setfield/getfield on another user,
-- database writes, changepwd, addcredit, setini/putfile, apireload/reload,
-- user add/delete, console logins), written by the engine after the entry
-- ran. params are the request parameters as JSON with secrets masked;
-- outcome is ok or the failure kind, detail the answer's first line.
-- Times are UTC. The monthly maintenance removes rows older than auditdays.
CREATE TABLE tb_auditlog (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    datum   TIMESTAMP NOT NULL,
    node    TEXT NOT NULL DEFAULT '',
    userid  INTEGER,
    username TEXT NOT NULL DEFAULT '',
    ip      TEXT NOT NULL DEFAULT '',
    entry   TEXT NOT NULL DEFAULT '',
    params  TEXT NOT NULL DEFAULT '{}',
    outcome TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT '',
    request TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_tb_auditlog_datum ON tb_auditlog (datum);

-- One row the readiness probe (/ready, hearthbeat mode=full) updates: a
-- cheap write that fails when the database cannot be written (disk full,
-- read-only, locked beyond the probe's timeout).
CREATE TABLE tb_health (
    id     INTEGER PRIMARY KEY,
    probed TIMESTAMP,
    node   TEXT NOT NULL DEFAULT ''
);
INSERT INTO tb_health (id, node) VALUES (1, '');

-- +goose Down
DROP TABLE tb_health;
DROP TABLE tb_auditlog;
