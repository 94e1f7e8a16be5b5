-- What services send over NATS (upstream's counters, updates and logs tables).

CREATE TABLE counters (
    id    TEXT PRIMARY KEY,
    total INTEGER NOT NULL
) WITHOUT ROWID;

-- The latest note per id (a deploy, a release).
CREATE TABLE updates (
    id      TEXT PRIMARY KEY,
    updated TEXT NOT NULL,
    msg     TEXT
) WITHOUT ROWID;

CREATE TABLE logs (
    id       TEXT PRIMARY KEY,
    created  TEXT NOT NULL,
    ldate    TEXT,
    ltime    INTEGER,
    topic    TEXT,
    name     TEXT,
    host     TEXT,
    hostname TEXT,
    owner    TEXT,
    ip       TEXT,
    level    INTEGER,
    msg      TEXT,
    params   TEXT
);
CREATE INDEX logs_created ON logs (created);
