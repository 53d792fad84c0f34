-- +goose Up
-- apireload asks for the rows whose marker grew since its last read
-- (engine/loader.go changedSince): an index keeps that from scanning
-- tb_api.
CREATE INDEX ix_tb_api_rowver ON tb_api (rowver);

-- +goose Down
DROP INDEX ix_tb_api_rowver;
