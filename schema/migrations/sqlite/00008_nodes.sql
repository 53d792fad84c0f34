-- +goose Up
-- One row per running node: the scheduler writes heartbeat every
-- nodeheartbeat seconds. A run in tb_jobruns whose node has not beaten
-- within nodelease seconds is closed as failed, so the next tick runs.
CREATE TABLE tb_nodes (
    node      TEXT PRIMARY KEY,
    heartbeat TIMESTAMP NOT NULL,
    started   TIMESTAMP NOT NULL,
    version   TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE tb_nodes;
