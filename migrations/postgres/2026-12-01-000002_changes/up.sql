-- The change feed (GET /changes): one row per committed change of a customer, written in
-- the transaction that makes the change. `txid` is the writing transaction's id: readers
-- only pass rows whose transaction is older than every transaction still running, so a row
-- can never appear behind a reader's cursor (see crates/store/src/changes.rs). A row holds
-- no customer data: feed pages join the customer as it is when read, so an erased customer
-- leaves nothing in the feed but its delete item.
CREATE TABLE changes (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY,
    txid    xid8 NOT NULL DEFAULT pg_current_xact_id(),
    code    TEXT COLLATE "C" NOT NULL,
    -- 0: upsert, 1: delete.
    op      SMALLINT NOT NULL,
    version BIGINT NOT NULL,
    -- When the change was committed, microseconds since the Unix epoch, UTC.
    at      BIGINT NOT NULL,
    PRIMARY KEY (txid, seq)
);
CREATE INDEX changes_by_code ON changes (code);
CREATE INDEX changes_by_at ON changes (at);

-- The newest (txid, seq) removed by retention: a cursor at or below it has lost changes.
CREATE TABLE changes_horizon (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    txid BIGINT NOT NULL,
    seq  BIGINT NOT NULL
);
