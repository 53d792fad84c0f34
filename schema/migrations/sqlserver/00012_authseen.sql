-- +goose Up
-- Issue #10 (replay): the authmd5 hashes accepted recently, shared by
-- every node. digest is the SHA-256 (hex) of the client salts and the
-- hash; a second INSERT of one (userid, digest) fails on the primary key
-- and the request is refused as a replay. Rows past expires (replaywindow)
-- are removed lazily.
CREATE TABLE tb_authseen (
    userid  BIGINT    NOT NULL,
    digest  CHAR(64)  NOT NULL,
    expires DATETIME2 NOT NULL,
    PRIMARY KEY (userid, digest)
);
CREATE INDEX ix_tb_authseen_expires ON tb_authseen (expires);

-- +goose Down
DROP TABLE tb_authseen;
