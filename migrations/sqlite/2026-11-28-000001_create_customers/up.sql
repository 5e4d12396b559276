-- Customers, erased-code suppressions and API keys (SQLite).
-- Timestamps are microseconds since the Unix epoch, UTC. Text compares bytewise (BINARY),
-- which is the order GET /customers pages in; PostgreSQL uses COLLATE "C" to match.

CREATE TABLE customers (
    code         TEXT PRIMARY KEY NOT NULL,
    is_active    BOOLEAN NOT NULL DEFAULT 1,
    country      TEXT,
    state        TEXT,
    city         TEXT,
    year_born    INTEGER,
    gender       SMALLINT,
    metadata     TEXT,
    -- ISO 3166-1 alpha-2 the resolver made of `country` (or inferred from state/city).
    country_code TEXT,
    -- The resolver's `location` object as JSON, stored so reads do no resolving.
    location     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL
);

CREATE INDEX customers_by_country ON customers (country_code, code);
CREATE INDEX customers_by_active ON customers (is_active, code);

-- SHA-256 of erased codes that may not be posted again (DELETE ...?suppress=true).
CREATE TABLE suppressions (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
