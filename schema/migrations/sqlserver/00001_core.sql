-- +goose Up
-- API entries: built-in overrides and custom entries (the reference's tb_api).
-- A NULL access field means "the built-in's default"; see README.
-- [rule] is bracketed: RULE is a reserved word in T-SQL.
CREATE TABLE tb_api (
    id                 BIGINT IDENTITY(1,1) PRIMARY KEY,
    fname              NVARCHAR(255) NOT NULL,
    req_key            INT,
    req_ip             INT,
    req_user           INT,
    req_user_mode      INT,
    req_user_credit    DECIMAL(18,4),
    req_user_register  INT,
    req_user_login     INT,
    customsql          NVARCHAR(MAX),
    custom_action      INT,
    custom_action_body NVARCHAR(MAX),
    enabled            INT NOT NULL DEFAULT 1,
    [rule]             NVARCHAR(MAX),
    description        NVARCHAR(MAX),
    modified           DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
CREATE INDEX ix_tb_api_fname ON tb_api (fname);

CREATE TABLE tb_users (
    id                BIGINT IDENTITY(1,1) PRIMARY KEY,
    type              INT NOT NULL DEFAULT 0,
    username          NVARCHAR(255) NOT NULL,
    password          NVARCHAR(255) NOT NULL DEFAULT '',
    name              NVARCHAR(255) NOT NULL DEFAULT '',
    email             NVARCHAR(255) NOT NULL DEFAULT '',
    phone             NVARCHAR(64)  NOT NULL DEFAULT '',
    currency          NVARCHAR(8)   NOT NULL DEFAULT 'USD',
    country           NVARCHAR(64)  NOT NULL DEFAULT '',
    address           NVARCHAR(512) NOT NULL DEFAULT '',
    credit            DECIMAL(18,4) NOT NULL DEFAULT 0,
    postpaid          INT NOT NULL DEFAULT 0,
    enabled           INT NOT NULL DEFAULT 1,
    temporarydisabled INT NOT NULL DEFAULT 0,
    status            INT NOT NULL DEFAULT 0,
    statusdate        DATETIME2,
    ip                NVARCHAR(64)  NOT NULL DEFAULT '',
    pin               NVARCHAR(64),
    parentid          BIGINT NOT NULL DEFAULT 0,
    deviceid          NVARCHAR(128) NOT NULL DEFAULT '',
    created           DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
CREATE UNIQUE INDEX ux_tb_users_username ON tb_users (username);
CREATE UNIQUE INDEX ux_tb_users_pin ON tb_users (pin) WHERE pin IS NOT NULL AND pin <> '';

CREATE TABLE tb_globalconfig (
    name  NVARCHAR(128) PRIMARY KEY,
    value NVARCHAR(MAX) NOT NULL DEFAULT ''
);

-- Prefix based rates: the longest matching prefix wins.
CREATE TABLE tb_rates (
    id          BIGINT IDENTITY(1,1) PRIMARY KEY,
    prefix      NVARCHAR(32)  NOT NULL,
    destination NVARCHAR(255) NOT NULL DEFAULT '',
    price       DECIMAL(18,4) NOT NULL DEFAULT 0,
    currency    NVARCHAR(8)   NOT NULL DEFAULT 'USD'
);
CREATE UNIQUE INDEX ux_tb_rates_prefix ON tb_rates (prefix);

CREATE TABLE tb_cdrs (
    id           BIGINT IDENTITY(1,1) PRIMARY KEY,
    datum        DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME(),
    callerid     BIGINT NOT NULL DEFAULT 0,
    calledid     BIGINT NOT NULL DEFAULT 0,
    caller       NVARCHAR(128) NOT NULL DEFAULT '',
    called       NVARCHAR(128) NOT NULL DEFAULT '',
    callednumber NVARCHAR(128) NOT NULL DEFAULT '',
    duration     INT NOT NULL DEFAULT 0,
    cost         DECIMAL(18,4) NOT NULL DEFAULT 0,
    price        DECIMAL(18,4) NOT NULL DEFAULT 0,
    sipcallid    NVARCHAR(255) NOT NULL DEFAULT '',
    reasoncode   INT NOT NULL DEFAULT 0
);
CREATE INDEX ix_tb_cdrs_callerid_datum ON tb_cdrs (callerid, datum);
CREATE INDEX ix_tb_cdrs_sipcallid ON tb_cdrs (sipcallid);

-- Server nonces handed out by preauth; any node accepts them.
CREATE TABLE tb_nonces (
    nonce   NVARCHAR(64) PRIMARY KEY,
    prefix  NVARCHAR(16) NOT NULL,
    ip      NVARCHAR(64) NOT NULL DEFAULT '',
    created DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME(),
    expires DATETIME2 NOT NULL
);
CREATE INDEX ix_tb_nonces_prefix ON tb_nonces (prefix);

-- +goose Down
DROP TABLE tb_nonces;
DROP TABLE tb_cdrs;
DROP TABLE tb_rates;
DROP TABLE tb_globalconfig;
DROP TABLE tb_users;
DROP TABLE tb_api;
