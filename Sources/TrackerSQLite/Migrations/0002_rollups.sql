-- Rollups for the dashboard, so it never scans raw events for the basics. Each ingest batch is
-- aggregated in memory (RollupBatch) and written in the same transaction as its events, counting
-- only the events really inserted: a replayed event (same eid) is counted once.

CREATE TABLE visitors (
    hhash      TEXT NOT NULL,
    vid        TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    events     INTEGER NOT NULL,
    uid        TEXT,
    first_url  TEXT,
    referrer   TEXT,
    source     TEXT, medium TEXT, campaign TEXT,
    country    TEXT,
    PRIMARY KEY (hhash, vid)
) WITHOUT ROWID;

CREATE TABLE sessions (
    hhash     TEXT NOT NULL,
    sid       TEXT NOT NULL,
    vid       TEXT NOT NULL,
    started   TEXT NOT NULL,
    ended     TEXT NOT NULL,
    events    INTEGER NOT NULL,
    entry_url TEXT,
    exit_url  TEXT,
    referrer  TEXT,
    source    TEXT, medium TEXT, campaign TEXT,
    PRIMARY KEY (hhash, sid)
) WITHOUT ROWID;
CREATE INDEX sessions_ended ON sessions (ended);

CREATE TABLE daily_events (
    hhash  TEXT NOT NULL,
    day    TEXT NOT NULL,               -- YYYY-MM-DD, UTC
    ename  TEXT NOT NULL,               -- '' for events without a name
    events INTEGER NOT NULL,
    PRIMARY KEY (hhash, day, ename)
) WITHOUT ROWID;

CREATE TABLE daily_visitors (
    hhash TEXT NOT NULL,
    day   TEXT NOT NULL,
    vid   TEXT NOT NULL,
    PRIMARY KEY (hhash, day, vid)
) WITHOUT ROWID;
