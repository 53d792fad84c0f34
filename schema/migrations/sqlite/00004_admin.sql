-- +goose Up
-- Issue #5, the admin API: the banned IP list (bannedlist, delbanned) and
-- the tb_users columns of SIP servers and traffic senders (addserver).

-- Banned client addresses. expires NULL: until removed with delbanned.
CREATE TABLE tb_bannedips (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    ip      TEXT    NOT NULL,
    reason  TEXT    NOT NULL DEFAULT '',
    created TIMESTAMP NOT NULL,
    expires TIMESTAMP
);
CREATE UNIQUE INDEX ux_tb_bannedips_ip ON tb_bannedips (ip);

-- addserver: domain or ip with port, outbound proxy, transport (udp, tcp,
-- tls), needauth (1: IP based authentication), routing entry and priority.
ALTER TABLE tb_users ADD COLUMN domain TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN port INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN proxy TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN transport TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN needauth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN routing TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN routingpriority INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE tb_users DROP COLUMN routingpriority;
ALTER TABLE tb_users DROP COLUMN routing;
ALTER TABLE tb_users DROP COLUMN needauth;
ALTER TABLE tb_users DROP COLUMN transport;
ALTER TABLE tb_users DROP COLUMN proxy;
ALTER TABLE tb_users DROP COLUMN port;
ALTER TABLE tb_users DROP COLUMN domain;
DROP TABLE tb_bannedips;
