-- +goose Up
-- Failed authentications per client IP, shared by every node: after
-- authlockoutfailures failures within authlockoutwindow seconds the IP is
-- locked until locked_until.
CREATE TABLE tb_authfailures (
    ip           NVARCHAR(64) PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    first        DATETIME2 NOT NULL,
    locked_until DATETIME2
);

-- +goose Down
DROP TABLE tb_authfailures;
