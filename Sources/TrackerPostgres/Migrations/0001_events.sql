-- One row per event with the upstream column names, as in the embedded store.
CREATE TABLE events (
    seq      BIGSERIAL PRIMARY KEY,
    eid      TEXT NOT NULL UNIQUE,          -- server-generated UUIDv7; the idempotency key
    created  TIMESTAMPTZ NOT NULL,
    server   BOOLEAN NOT NULL DEFAULT false,
    route    TEXT, hhash TEXT, host TEXT,
    vid      TEXT, sid TEXT, uid TEXT, did TEXT, app TEXT, rel TEXT,
    last     TEXT, url TEXT, ip TEXT, iphash TEXT, ptyp TEXT, bhash TEXT, auth TEXT,
    xid      TEXT, split TEXT, ver TEXT, ename TEXT, etyp TEXT, sink TEXT,
    source   TEXT, medium TEXT, campaign TEXT, term TEXT,
    country  TEXT, region TEXT, city TEXT, culture TEXT, ref TEXT, rcode TEXT, aff TEXT,
    browser  TEXT, device TEXT, os TEXT, tz TEXT, targets TEXT, rid TEXT, relation TEXT,
    gaid     TEXT, idfa TEXT, msid TEXT, fbid TEXT, ehash TEXT, chash TEXT, uhash TEXT, outcome TEXT,
    cflags   BIGINT, duration BIGINT, score DOUBLE PRECISION, lat DOUBLE PRECISION, lon DOUBLE PRECISION,
    w        BIGINT, h BIGINT,
    params   JSONB,
    nparams  JSONB
);
CREATE INDEX events_site_created ON events (hhash, created);
CREATE INDEX events_created ON events (created);
CREATE INDEX events_site_visitor_created ON events (hhash, vid, created);
