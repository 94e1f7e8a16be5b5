-- Short links (host and slug lower-case), their hit counts, API keys and upstream's accounts:
-- shared by every tracker node that uses this database.

CREATE TABLE IF NOT EXISTS links (
    host      text NOT NULL,
    slug      text NOT NULL,
    target    text NOT NULL,
    fields    jsonb NOT NULL DEFAULT '{}',   -- campaign fields recorded with each hit
    permanent boolean NOT NULL DEFAULT false,
    updated   timestamptz NOT NULL,
    updater   text NOT NULL,
    hits      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (host, slug)
);

CREATE TABLE IF NOT EXISTS api_keys (
    id          text PRIMARY KEY,
    secret_hash text NOT NULL,   -- hex SHA-256 of the secret
    name        text NOT NULL,
    sites       jsonb NOT NULL,  -- hosts the key may manage
    created     timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS accounts (
    uid           text PRIMARY KEY,
    password_hash text NOT NULL  -- PBKDF2-SHA256
);
