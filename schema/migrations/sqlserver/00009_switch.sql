-- +goose Up
-- The SIP switch (Kamailio, package switchboard): its registrar keeps the
-- registrations in location (Kamailio's usrloc table, version 9, with the
-- columns of /usr/share/kamailio/postgres/usrloc-create.sql; Kamailio
-- reaches SQL Server through db_unixodbc) and checks REGISTER digests
-- against kam_subscriber, a view of the enabled users.
CREATE TABLE location (
    id INT IDENTITY(1,1) PRIMARY KEY NOT NULL,
    ruid NVARCHAR(64) DEFAULT '' NOT NULL,
    username NVARCHAR(64) DEFAULT '' NOT NULL,
    domain NVARCHAR(64) DEFAULT NULL,
    contact NVARCHAR(512) DEFAULT '' NOT NULL,
    received NVARCHAR(128) DEFAULT NULL,
    path NVARCHAR(512) DEFAULT NULL,
    expires DATETIME2 DEFAULT '2030-05-28 21:32:15' NOT NULL,
    q REAL DEFAULT 1.0 NOT NULL,
    callid NVARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
    cseq INT DEFAULT 1 NOT NULL,
    last_modified DATETIME2 DEFAULT '2000-01-01 00:00:01' NOT NULL,
    flags INT DEFAULT 0 NOT NULL,
    cflags INT DEFAULT 0 NOT NULL,
    user_agent NVARCHAR(255) DEFAULT '' NOT NULL,
    socket NVARCHAR(64) DEFAULT NULL,
    methods INT DEFAULT NULL,
    instance NVARCHAR(255) DEFAULT NULL,
    reg_id INT DEFAULT 0 NOT NULL,
    server_id INT DEFAULT 0 NOT NULL,
    connection_id INT DEFAULT 0 NOT NULL,
    keepalive INT DEFAULT 0 NOT NULL,
    partition INT DEFAULT 0 NOT NULL,
    CONSTRAINT location_ruid_idx UNIQUE (ruid)
);
CREATE INDEX location_account_contact_idx ON location (username, domain, contact);
CREATE INDEX location_expires_idx ON location (expires);
CREATE INDEX location_tcpcon_idx ON location (connection_id);
CREATE INDEX location_connection_idx ON location (server_id, connection_id);

-- +goose StatementBegin
CREATE VIEW kam_subscriber AS
SELECT id, username, password, type FROM tb_users
 WHERE enabled <> 0 AND temporarydisabled = 0 AND password <> '';
-- +goose StatementEnd

-- +goose Down
DROP VIEW kam_subscriber;
DROP TABLE location;
