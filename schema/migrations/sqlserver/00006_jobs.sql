-- +goose Up
-- DBA-defined scheduled tasks: schedule is a cron spec (5 fields, or
-- @hourly, @daily, @weekly, @monthly, @every 10s); the action runs through
-- the custom_action pipeline. Loaded by apireload / rulesreload.
CREATE TABLE tb_scheduledtasks (
    id                 BIGINT IDENTITY(1,1) PRIMARY KEY,
    name               NVARCHAR(255) NOT NULL,
    schedule           NVARCHAR(255) NOT NULL,
    custom_action      INTEGER NOT NULL,
    custom_action_body NVARCHAR(MAX),
    enabled            INTEGER NOT NULL DEFAULT 1,
    lastrun            DATETIME2,
    nextrun            DATETIME2,
    lastresult         NVARCHAR(MAX)
);

-- One row per run of a job (built-in maintenance or a task). The unique
-- (job, tick) lets exactly one node of several run a given tick.
CREATE TABLE tb_jobruns (
    id       BIGINT IDENTITY(1,1) PRIMARY KEY,
    job      NVARCHAR(255) NOT NULL,
    tick     DATETIME2 NOT NULL,
    node     NVARCHAR(255) NOT NULL,
    started  DATETIME2 NOT NULL,
    finished DATETIME2,
    ok       INTEGER,
    result   NVARCHAR(MAX)
);
CREATE UNIQUE INDEX ux_tb_jobruns_job_tick ON tb_jobruns (job, tick);
CREATE INDEX ix_tb_jobruns_started ON tb_jobruns (started);

-- +goose Down
DROP TABLE tb_jobruns;
DROP TABLE tb_scheduledtasks;
