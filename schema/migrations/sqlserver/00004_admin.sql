-- +goose Up
-- Issue #5, the admin API: the banned IP list (bannedlist, delbanned) and
-- the tb_users columns of SIP servers and traffic senders (addserver).
-- Defaults are named so that Down can drop them before their columns.

-- Banned client addresses. expires NULL: until removed with delbanned.
CREATE TABLE tb_bannedips (
    id      BIGINT IDENTITY(1,1) PRIMARY KEY,
    ip      NVARCHAR(64)  NOT NULL,
    reason  NVARCHAR(512) NOT NULL DEFAULT '',
    created DATETIME2 NOT NULL,
    expires DATETIME2
);
CREATE UNIQUE INDEX ux_tb_bannedips_ip ON tb_bannedips (ip);

-- addserver: domain or ip with port, outbound proxy, transport (udp, tcp,
-- tls), needauth (1: IP based authentication), routing entry and priority.
ALTER TABLE tb_users ADD domain NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_domain DEFAULT '';
ALTER TABLE tb_users ADD port INT NOT NULL CONSTRAINT df_tb_users_port DEFAULT 0;
ALTER TABLE tb_users ADD proxy NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_proxy DEFAULT '';
ALTER TABLE tb_users ADD transport NVARCHAR(8) NOT NULL CONSTRAINT df_tb_users_transport DEFAULT '';
ALTER TABLE tb_users ADD needauth INT NOT NULL CONSTRAINT df_tb_users_needauth DEFAULT 0;
ALTER TABLE tb_users ADD routing NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_routing DEFAULT '';
ALTER TABLE tb_users ADD routingpriority INT NOT NULL CONSTRAINT df_tb_users_routingpriority DEFAULT 0;

-- +goose Down
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_routingpriority;
ALTER TABLE tb_users DROP COLUMN routingpriority;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_routing;
ALTER TABLE tb_users DROP COLUMN routing;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_needauth;
ALTER TABLE tb_users DROP COLUMN needauth;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_transport;
ALTER TABLE tb_users DROP COLUMN transport;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_proxy;
ALTER TABLE tb_users DROP COLUMN proxy;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_port;
ALTER TABLE tb_users DROP COLUMN port;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_domain;
ALTER TABLE tb_users DROP COLUMN domain;
DROP TABLE tb_bannedips;
