-- One row per event, with the upstream column names (docs/privacy.md says what each holds).
-- seq is arrival order: future delivery workers keep their cursor on it.
CREATE TABLE events (
    seq      INTEGER PRIMARY KEY,
    eid      TEXT NOT NULL UNIQUE,      -- server-generated UUIDv7; the idempotency key
    created  TEXT NOT NULL,             -- server time, ISO-8601 UTC with milliseconds
    server   INTEGER NOT NULL DEFAULT 0, -- 1 for /str/ (server-side) events
    route    TEXT,                      -- tr, str, img, rdr, pub
    hhash    TEXT,                      -- site key: base36(FNV-1a(host))
    host     TEXT,
    vid      TEXT, sid TEXT, uid TEXT, did TEXT,
    app      TEXT, rel TEXT,
    cflags   INTEGER,
    last     TEXT, url TEXT,
    ip       TEXT,                      -- NULL unless StoreRawIP is on
    iphash   TEXT,                      -- keyed HMAC of the client IP
    lat      REAL, lon REAL,
    ptyp     TEXT, bhash TEXT, auth TEXT,
    duration INTEGER,
    xid      TEXT, split TEXT, ver TEXT,
    ename    TEXT, etyp TEXT, sink TEXT,
    score    REAL,
    source   TEXT, medium TEXT, campaign TEXT, term TEXT,
    country  TEXT, region TEXT, city TEXT, culture TEXT,
    ref      TEXT, rcode TEXT, aff TEXT,
    browser  TEXT, device TEXT, os TEXT, tz TEXT,
    w        INTEGER, h INTEGER,
    targets  TEXT,
    rid      TEXT, relation TEXT,
    gaid     TEXT, idfa TEXT, msid TEXT, fbid TEXT,
    ehash    TEXT, chash TEXT, uhash TEXT,
    outcome  TEXT,
    params   TEXT,                      -- JSON object: every other field, as text
    nparams  TEXT                       -- JSON object: the numeric ones, as numbers
);

-- Only append-friendly indexes here: every index costs page writes on each commit of the ingest
-- path. Per-visitor and per-session questions go to the rollup tables.
CREATE INDEX events_site_created ON events (hhash, created);
CREATE INDEX events_created ON events (created);
