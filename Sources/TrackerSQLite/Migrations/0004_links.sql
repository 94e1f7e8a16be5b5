-- Short links (host and slug lower-case), their hit counts, API keys and upstream's accounts.

CREATE TABLE links (
    host      TEXT NOT NULL,
    slug      TEXT NOT NULL,
    target    TEXT NOT NULL,
    fields    TEXT NOT NULL,   -- JSON object of campaign fields recorded with each hit
    permanent INTEGER NOT NULL,
    updated   TEXT NOT NULL,
    updater   TEXT NOT NULL,
    hits      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (host, slug)
) WITHOUT ROWID;

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,   -- hex SHA-256 of the secret
    name        TEXT NOT NULL,
    sites       TEXT NOT NULL,   -- JSON array of hosts the key may manage
    created     TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE accounts (
    uid           TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL   -- PBKDF2-SHA256, see LinkCredentials
) WITHOUT ROWID;
