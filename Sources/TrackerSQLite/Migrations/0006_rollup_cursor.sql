-- The rollups are written in a transaction of their own, after their events' (while the events'
-- log is being fsynced): this row says up to which event (its seq) they are written, so that the
-- rollups of events committed just before a crash are made at the next start. Every event stored
-- before this migration has its rollups already.
CREATE TABLE rollup_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
);
INSERT INTO rollup_cursor (id, last_seq) VALUES (1, coalesce((SELECT max(seq) FROM events), 0));
