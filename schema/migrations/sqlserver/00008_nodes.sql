-- +goose Up
-- One row per running node: the scheduler writes heartbeat every
-- nodeheartbeat seconds. A run in tb_jobruns whose node has not beaten
-- within nodelease seconds is closed as failed, so the next tick runs.
CREATE TABLE tb_nodes (
    node      NVARCHAR(255) PRIMARY KEY,
    heartbeat DATETIME2 NOT NULL,
    started   DATETIME2 NOT NULL,
    version   NVARCHAR(100) NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE tb_nodes;
