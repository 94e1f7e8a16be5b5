-- Events partitioned by month of `created` (declarative partitioning): a time range reads only its
-- months, and an old month is detached or dropped in one statement. The store creates the
-- partitions of the months around now ahead of time (PostgresPartitions); the default partition
-- takes what falls outside them. Unique keys of a partitioned table must hold the partition key:
-- `(eid, created)` is as good as `eid` alone, since a replayed event keeps its time.
ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_site_created RENAME TO events_unpartitioned_site_created;
ALTER INDEX events_created RENAME TO events_unpartitioned_created;
ALTER INDEX events_site_visitor_created RENAME TO events_unpartitioned_site_visitor_created;
ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey TO events_unpartitioned_pkey;
ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_eid_key TO events_unpartitioned_eid_key;
CREATE TABLE events (
    LIKE events_unpartitioned INCLUDING DEFAULTS,
    PRIMARY KEY (seq, created),
    UNIQUE (eid, created)
) PARTITION BY RANGE (created);
ALTER SEQUENCE events_seq_seq OWNED BY events.seq;
CREATE TABLE events_default PARTITION OF events DEFAULT;
INSERT INTO events SELECT * FROM events_unpartitioned;
DROP TABLE events_unpartitioned;
CREATE INDEX events_site_created ON events (hhash, created);
CREATE INDEX events_created ON events (created);
CREATE INDEX events_site_visitor_created ON events (hhash, vid, created);
