-- Suppressions become a keyed hash: HMAC-SHA256 of the code under a secret the server keeps
-- outside the database (`suppression_key_file`), so a copy of the database alone does not
-- tell which codes were erased (a plain SHA-256 of an e-mail address is found by hashing
-- guesses). Rows from before stay as they are, marked `sha256`: a hash cannot be turned into
-- an HMAC without the code, so lookups check both forms until such a row is lifted.
ALTER TABLE suppressions ADD COLUMN kind TEXT NOT NULL DEFAULT 'sha256';

-- A fingerprint of the suppression secret (an HMAC of a fixed text under it, which tells
-- nothing about the secret), so a server started with another secret than the one the
-- stored suppressions were made with refuses to start instead of silently not seeing them
-- (say, a second replica that made its own `suppression.key`).
CREATE TABLE suppression_key_check (
    id          INTEGER PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL
);
