-- +goose Up
-- readonly = 1 marks a customsql row whose one SELECT may run on the read
-- replica (readdsn) while one is in use; a row that writes may not set it
-- (engine/loader.go refuses the row). 0, the default: the primary.
ALTER TABLE tb_api ADD COLUMN readonly INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE tb_api DROP COLUMN readonly;
