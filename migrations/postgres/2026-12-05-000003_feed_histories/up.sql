-- The histories of the change feed (crates/store/src/history.rs). A promotion of a standby
-- may lose the old primary's last transactions, and the new primary hands out their
-- transaction ids again, so a feed cursor or an ETag must name the history it came from.
-- Each row is one history: its `epoch` (the number cursors and ETags carry), the server
-- timeline it runs on, and its fork point: the last change row it holds from the history
-- before it (0, 0 when it holds none). The first history is the timeline of the server the
-- migration ran on.
CREATE TABLE feed_histories (
    epoch     BIGINT PRIMARY KEY,
    timeline  BIGINT NOT NULL UNIQUE,
    fork_txid BIGINT NOT NULL,
    fork_seq  BIGINT NOT NULL,
    -- When this process recorded the history, microseconds since the Unix epoch, UTC.
    at        BIGINT NOT NULL
);
INSERT INTO feed_histories (epoch, timeline, fork_txid, fork_seq, at)
SELECT 1, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint, 0, 0,
       (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
