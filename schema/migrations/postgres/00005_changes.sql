-- +goose Up
-- Change stamps: a node that reloads (apireload, reload, rulesreload) bumps
-- the stamp; every node polls it (and on PostgreSQL also LISTENs) and
-- reloads when it moves, so a reload sent to one node reaches all.
CREATE TABLE tb_changes (
    name  TEXT PRIMARY KEY,
    stamp BIGINT NOT NULL DEFAULT 0
);
INSERT INTO tb_changes (name, stamp) VALUES ('api', 0);
INSERT INTO tb_changes (name, stamp) VALUES ('config', 0);

-- +goose Down
DROP TABLE tb_changes;
