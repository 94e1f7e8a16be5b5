-- What services send over NATS (upstream's counters, updates and logs tables).

CREATE TABLE IF NOT EXISTS counters (
    id    text PRIMARY KEY,
    total bigint NOT NULL
);

-- The latest note per id (a deploy, a release).
CREATE TABLE IF NOT EXISTS updates (
    id      text PRIMARY KEY,
    updated timestamptz NOT NULL,
    msg     text
);

CREATE TABLE IF NOT EXISTS logs (
    id       text PRIMARY KEY,
    created  timestamptz NOT NULL,
    ldate    text,
    ltime    bigint,
    topic    text,
    name     text,
    host     text,
    hostname text,
    owner    text,
    ip       text,
    level    integer,
    msg      text,
    params   text
);

CREATE INDEX IF NOT EXISTS logs_created ON logs (created);
