-- Rollups kept up to date by a trigger, so the dashboard never scans raw events for the basics.
-- The trigger fires only for rows really inserted, so a replayed event (same eid) counts once.

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

CREATE TRIGGER events_rollup AFTER INSERT ON events
WHEN NEW.vid IS NOT NULL
BEGIN
    INSERT INTO visitors (hhash, vid, first_seen, last_seen, events, uid, first_url, referrer,
                          source, medium, campaign, country)
    VALUES (coalesce(NEW.hhash, ''), NEW.vid, NEW.created, NEW.created, 1, NEW.uid, NEW.url, NEW.last,
            NEW.source, NEW.medium, NEW.campaign, NEW.country)
    ON CONFLICT (hhash, vid) DO UPDATE SET
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen),
        events = events + 1,
        uid = coalesce(excluded.uid, uid);

    INSERT INTO sessions (hhash, sid, vid, started, ended, events, entry_url, exit_url, referrer,
                          source, medium, campaign)
    SELECT coalesce(NEW.hhash, ''), NEW.sid, NEW.vid, NEW.created, NEW.created, 1, NEW.url, NEW.url,
           NEW.last, NEW.source, NEW.medium, NEW.campaign
    WHERE NEW.sid IS NOT NULL
    ON CONFLICT (hhash, sid) DO UPDATE SET
        started = min(started, excluded.started),
        ended = max(ended, excluded.ended),
        events = events + 1,
        exit_url = CASE WHEN excluded.ended >= ended THEN coalesce(excluded.exit_url, exit_url) ELSE exit_url END;

    INSERT INTO daily_events (hhash, day, ename, events)
    VALUES (coalesce(NEW.hhash, ''), substr(NEW.created, 1, 10), coalesce(NEW.ename, ''), 1)
    ON CONFLICT (hhash, day, ename) DO UPDATE SET events = events + 1;

    INSERT OR IGNORE INTO daily_visitors (hhash, day, vid)
    VALUES (coalesce(NEW.hhash, ''), substr(NEW.created, 1, 10), NEW.vid);
END;
