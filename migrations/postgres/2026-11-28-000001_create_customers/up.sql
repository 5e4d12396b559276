-- Customers, erased-code suppressions and API keys (PostgreSQL).
-- Timestamps are microseconds since the Unix epoch, UTC. Codes use COLLATE "C" so pages
-- are ordered bytewise, as on SQLite, and prefix ranges can use the primary key.

CREATE TABLE customers (
    code         TEXT COLLATE "C" PRIMARY KEY,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
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
    code_hash  TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
