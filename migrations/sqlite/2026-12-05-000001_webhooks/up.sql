-- Webhook subscriptions: each pushes the change feed to a URL, in order, from a cursor of its
-- own that moves only once the receiver has answered 2xx (crates/api/src/webhooks.rs).
CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY NOT NULL,
    url             TEXT NOT NULL,
    -- What is sent: 'upsert', 'delete', or both ('upsert,delete').
    events          TEXT NOT NULL,
    -- A JSON array of field names: only upserts that changed one of them are sent. NULL: all.
    fields          TEXT,
    -- The signing secret, encrypted under a key derived from the suppression secret (kept
    -- outside the database), so the database alone cannot sign as the service.
    secret          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- The feed cursor after which delivery goes on.
    cursor          TEXT NOT NULL,
    -- Why delivery is paused (NULL: it is not), and since when.
    paused_reason   TEXT,
    paused_at       BIGINT,
    -- The batch in flight: its message id (sent as webhook-id, the same on every attempt)
    -- and the cursor of the last change it covers. NULL: none.
    batch_id        TEXT,
    batch_end       TEXT,
    -- Failed attempts of the batch in flight, since when, and when to try again.
    attempts        INTEGER NOT NULL DEFAULT 0,
    failing_since   BIGINT,
    next_attempt_at BIGINT,
    last_error      TEXT,
    last_success_at BIGINT,
    -- The replica delivering this subscription, until when (a lease it renews).
    lease_holder    TEXT,
    lease_until     BIGINT
);

-- The latest delivery attempts of each subscription (older ones are removed as new ones come).
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    message_id  TEXT NOT NULL,
    items       INTEGER NOT NULL,
    -- The receiver's status; NULL when no answer came (timeout, connection refused).
    status      INTEGER,
    duration_ms BIGINT NOT NULL,
    error       TEXT
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
