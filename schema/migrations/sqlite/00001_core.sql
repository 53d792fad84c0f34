-- +goose Up
-- API entries: built-in overrides and custom entries (the reference's tb_api).
-- A NULL access field means "the built-in's default"; see README.
CREATE TABLE tb_api (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    fname              TEXT    NOT NULL,
    req_key            INTEGER,
    req_ip             INTEGER,
    req_user           INTEGER,
    req_user_mode      INTEGER,
    req_user_credit    NUMERIC,
    req_user_register  INTEGER,
    req_user_login     INTEGER,
    customsql          TEXT,
    custom_action      INTEGER,
    custom_action_body TEXT,
    enabled            INTEGER NOT NULL DEFAULT 1,
    rule               TEXT,
    description        TEXT,
    modified           TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_tb_api_fname ON tb_api (fname);

CREATE TABLE tb_users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    type              INTEGER NOT NULL DEFAULT 0,
    username          TEXT    NOT NULL,
    password          TEXT    NOT NULL DEFAULT '',
    name              TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL DEFAULT '',
    phone             TEXT    NOT NULL DEFAULT '',
    currency          TEXT    NOT NULL DEFAULT 'USD',
    country           TEXT    NOT NULL DEFAULT '',
    address           TEXT    NOT NULL DEFAULT '',
    credit            NUMERIC NOT NULL DEFAULT 0,
    postpaid          INTEGER NOT NULL DEFAULT 0,
    enabled           INTEGER NOT NULL DEFAULT 1,
    temporarydisabled INTEGER NOT NULL DEFAULT 0,
    status            INTEGER NOT NULL DEFAULT 0,
    statusdate        TIMESTAMP,
    ip                TEXT    NOT NULL DEFAULT '',
    pin               TEXT,
    parentid          INTEGER NOT NULL DEFAULT 0,
    deviceid          TEXT    NOT NULL DEFAULT '',
    created           TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX ux_tb_users_username ON tb_users (username);
CREATE UNIQUE INDEX ux_tb_users_pin ON tb_users (pin) WHERE pin IS NOT NULL AND pin <> '';

CREATE TABLE tb_globalconfig (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL DEFAULT ''
);

-- Prefix based rates: the longest matching prefix wins.
CREATE TABLE tb_rates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix      TEXT    NOT NULL,
    destination TEXT    NOT NULL DEFAULT '',
    price       NUMERIC NOT NULL DEFAULT 0,
    currency    TEXT    NOT NULL DEFAULT 'USD'
);
CREATE UNIQUE INDEX ux_tb_rates_prefix ON tb_rates (prefix);

CREATE TABLE tb_cdrs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    datum      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    callerid   INTEGER NOT NULL DEFAULT 0,
    calledid   INTEGER NOT NULL DEFAULT 0,
    caller     TEXT    NOT NULL DEFAULT '',
    called     TEXT    NOT NULL DEFAULT '',
    callednumber TEXT  NOT NULL DEFAULT '',
    duration   INTEGER NOT NULL DEFAULT 0,
    cost       NUMERIC NOT NULL DEFAULT 0,
    price      NUMERIC NOT NULL DEFAULT 0,
    sipcallid  TEXT    NOT NULL DEFAULT '',
    reasoncode INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_tb_cdrs_callerid_datum ON tb_cdrs (callerid, datum);
CREATE INDEX ix_tb_cdrs_sipcallid ON tb_cdrs (sipcallid);

-- Server nonces handed out by preauth; any node accepts them.
CREATE TABLE tb_nonces (
    nonce   TEXT PRIMARY KEY,
    prefix  TEXT NOT NULL,
    ip      TEXT NOT NULL DEFAULT '',
    created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires TIMESTAMP NOT NULL
);
CREATE INDEX ix_tb_nonces_prefix ON tb_nonces (prefix);

-- +goose Down
DROP TABLE tb_nonces;
DROP TABLE tb_cdrs;
DROP TABLE tb_rates;
DROP TABLE tb_globalconfig;
DROP TABLE tb_users;
DROP TABLE tb_api;
