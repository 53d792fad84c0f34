-- +goose Up
-- readonly = 1 marks a customsql row whose one SELECT may run on the read
-- replica (readdsn) while one is in use; a row that writes may not set it
-- (engine/loader.go refuses the row). 0, the default: the primary.
ALTER TABLE tb_api ADD readonly INT NOT NULL CONSTRAINT df_tb_api_readonly DEFAULT 0;

-- +goose Down
ALTER TABLE tb_api DROP CONSTRAINT df_tb_api_readonly;
ALTER TABLE tb_api DROP COLUMN readonly;
