-- What services send over NATS (upstream's counters, updates and logs tables). Plain tables on
-- each server (not sharded: a few rows a second at most); times in epoch milliseconds, as
-- ClickHouse 18.16 has no DateTime64.
CREATE TABLE IF NOT EXISTS {database}.counters (id String, total Int64)
ENGINE = SummingMergeTree() ORDER BY id;

CREATE TABLE IF NOT EXISTS {database}.updates (id String, updated UInt64, msg Nullable(String))
ENGINE = ReplacingMergeTree(updated) ORDER BY id;

CREATE TABLE IF NOT EXISTS {database}.logs (
    id String, created UInt64, ldate Nullable(String), ltime Nullable(Int64), topic Nullable(String),
    name Nullable(String), host Nullable(String), hostname Nullable(String), owner Nullable(String),
    ip Nullable(String), level Nullable(Int32), msg Nullable(String), params Nullable(String))
ENGINE = ReplacingMergeTree() ORDER BY (created, id);
