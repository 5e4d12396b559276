-- The histories of the change feed (crates/store/src/history.rs). A SQLite file has one
-- history, epoch 1, forever; the table exists so both backends have the same schema.
CREATE TABLE feed_histories (
    epoch     BIGINT PRIMARY KEY,
    timeline  BIGINT NOT NULL UNIQUE,
    fork_txid BIGINT NOT NULL,
    fork_seq  BIGINT NOT NULL,
    at        BIGINT NOT NULL
);
INSERT INTO feed_histories (epoch, timeline, fork_txid, fork_seq, at) VALUES (1, 1, 0, 0, 0);
