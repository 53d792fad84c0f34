-- +goose Up
-- DBA-defined scheduled tasks: schedule is a cron spec (5 fields, or
-- @hourly, @daily, @weekly, @monthly, @every 10s); the action runs through
-- the custom_action pipeline. Loaded by apireload / rulesreload.
CREATE TABLE tb_scheduledtasks (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT NOT NULL,
    schedule           TEXT NOT NULL,
    custom_action      INTEGER NOT NULL,
    custom_action_body TEXT,
    enabled            INTEGER NOT NULL DEFAULT 1,
    lastrun            TIMESTAMP,
    nextrun            TIMESTAMP,
    lastresult         TEXT
);

-- One row per run of a job (built-in maintenance or a task). The unique
-- (job, tick) lets exactly one node of several run a given tick.
CREATE TABLE tb_jobruns (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    job      TEXT NOT NULL,
    tick     TIMESTAMP NOT NULL,
    node     TEXT NOT NULL,
    started  TIMESTAMP NOT NULL,
    finished TIMESTAMP,
    ok       INTEGER,
    result   TEXT
);
CREATE UNIQUE INDEX ux_tb_jobruns_job_tick ON tb_jobruns (job, tick);
CREATE INDEX ix_tb_jobruns_started ON tb_jobruns (started);

-- +goose Down
DROP TABLE tb_jobruns;
DROP TABLE tb_scheduledtasks;
