-- One row per event, upstream column names, in a ReplacingMergeTree: a replayed event (same site,
-- time and eid) is merged away, and reads use FINAL so they never see it twice. Ordered for one
-- site's time range; one partition a month. Written for ClickHouse 18.16 (Debian) and later:
-- no DateTime64 (milliseconds in `ts`), no Map (parallel key/value arrays), no LowCardinality
-- without an experimental flag.
CREATE TABLE IF NOT EXISTS {local} (
    eid String,
    ts Int64,
    day Date DEFAULT toDate(intDiv(ts, 1000)),
    server UInt8,
    site String,
    route Nullable(String), hhash Nullable(String), host Nullable(String),
    vid Nullable(String), sid Nullable(String), uid Nullable(String), did Nullable(String),
    app Nullable(String), rel Nullable(String), last Nullable(String), url Nullable(String),
    ip Nullable(String), iphash Nullable(String), ptyp Nullable(String), bhash Nullable(String),
    auth Nullable(String), xid Nullable(String), split Nullable(String), ver Nullable(String),
    ename Nullable(String), etyp Nullable(String), sink Nullable(String), source Nullable(String),
    medium Nullable(String), campaign Nullable(String), term Nullable(String), country Nullable(String),
    region Nullable(String), city Nullable(String), culture Nullable(String), ref Nullable(String),
    rcode Nullable(String), aff Nullable(String), browser Nullable(String), device Nullable(String),
    os Nullable(String), tz Nullable(String), targets Nullable(String), rid Nullable(String),
    relation Nullable(String), gaid Nullable(String), idfa Nullable(String), msid Nullable(String),
    fbid Nullable(String), ehash Nullable(String), chash Nullable(String), uhash Nullable(String),
    outcome Nullable(String),
    cflags Nullable(Int64), duration Nullable(Int64), score Nullable(Float64), lat Nullable(Float64),
    lon Nullable(Float64), w Nullable(Int64), h Nullable(Int64),
    params_keys Array(String), params_values Array(String),
    nparams_keys Array(String), nparams_values Array(Float64)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, ts, eid)
