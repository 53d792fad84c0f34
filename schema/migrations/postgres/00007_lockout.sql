-- +goose Up
-- Failed authentications per client IP, shared by every node: after
-- authlockoutfailures failures within authlockoutwindow seconds the IP is
-- locked until locked_until.
CREATE TABLE tb_authfailures (
    ip           TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    first        TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

-- +goose Down
DROP TABLE tb_authfailures;
