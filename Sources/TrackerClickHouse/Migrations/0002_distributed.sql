-- Clustered only (skipped on a single server): the table every node reads and writes, in front
-- of each shard's local table, sharded by visitor so one visitor's events (and the replays of an
-- event) always land on the same shard, where FINAL merges them.
CREATE TABLE IF NOT EXISTS {events} AS {local}
ENGINE = Distributed({cluster}, {database}, {local_name}, cityHash64(site, ifNull(vid, '')))
