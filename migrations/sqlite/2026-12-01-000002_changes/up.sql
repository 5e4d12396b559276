-- The change feed (GET /changes): one row per committed change of a customer, written in
-- the transaction that makes the change. SQLite has one writer at a time, so rows commit
-- in `seq` order and a reader never sees a gap fill in behind it. A row holds no customer
-- data: feed pages join the customer as it is when read, so an erased customer leaves
-- nothing in the feed but its delete item. `txid` is always 0 here (see the PostgreSQL
-- migration, where it orders the feed).
CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    txid    INTEGER NOT NULL DEFAULT 0,
    code    TEXT NOT NULL,
    -- 0: upsert, 1: delete.
    op      SMALLINT NOT NULL,
    version BIGINT NOT NULL,
    -- When the change was committed, microseconds since the Unix epoch, UTC.
    at      BIGINT NOT NULL
);
CREATE INDEX changes_by_code ON changes (code);
CREATE INDEX changes_by_at ON changes (at);

-- The newest (txid, seq) removed by retention: a cursor at or below it has lost changes.
CREATE TABLE changes_horizon (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    txid BIGINT NOT NULL,
    seq  BIGINT NOT NULL
);
