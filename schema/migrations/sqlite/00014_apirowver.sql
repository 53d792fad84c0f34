-- +goose Up
-- A change marker per tb_api row, kept by triggers (an UPDATE by hand
-- included): every insert and update sets rowver to the next value of
-- tb_apiver, a counter no two changes share. apireload reads (id, rowver)
-- and fetches only the rows whose marker moved (engine/loader.go
-- loadRowsCached); PostgreSQL hashes the row instead (no migration).
ALTER TABLE tb_api ADD COLUMN rowver INTEGER NOT NULL DEFAULT 0;
CREATE TABLE tb_apiver (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    ver INTEGER NOT NULL
);
INSERT INTO tb_apiver (id, ver) VALUES (1, 0);
-- +goose StatementBegin
CREATE TRIGGER tr_tb_api_rowver_insert AFTER INSERT ON tb_api
BEGIN
    UPDATE tb_apiver SET ver = ver + 1 WHERE id = 1;
    UPDATE tb_api SET rowver = (SELECT ver FROM tb_apiver WHERE id = 1) WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tr_tb_api_rowver_update AFTER UPDATE ON tb_api WHEN NEW.rowver = OLD.rowver
BEGIN
    UPDATE tb_apiver SET ver = ver + 1 WHERE id = 1;
    UPDATE tb_api SET rowver = (SELECT ver FROM tb_apiver WHERE id = 1) WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER tr_tb_api_rowver_update;
DROP TRIGGER tr_tb_api_rowver_insert;
DROP TABLE tb_apiver;
ALTER TABLE tb_api DROP COLUMN rowver;
