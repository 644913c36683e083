-- What the stream emits: outages, segments, the ledger and site status. Each message can
-- arrive twice (at-least-once), so each table is a ReplacingMergeTree on its deterministic
-- key with the message's version: read with FINAL (or argMax(..., version)).
CREATE TABLE IF NOT EXISTS outages
(
    id String,
    site LowCardinality(String),
    client LowCardinality(String),
    state Enum8('opened' = 1, 'updated' = 2, 'closed' = 3),
    start DateTime64(3, 'UTC'),
    `end` Nullable(DateTime64(3, 'UTC')),
    classification LowCardinality(String),
    regions_down Array(String),
    version UInt64,
    schema_version UInt8 DEFAULT 1,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);

-- Disjoint pieces of outages with their label; deleted = 1 marks a piece that a
-- re-classification removed (exclude it after FINAL).
CREATE TABLE IF NOT EXISTS segments
(
    id String,
    site LowCardinality(String),
    outage_id String,
    label Enum8('downtime' = 1, 'maintenance' = 2, 'excluded' = 3),
    reason LowCardinality(Nullable(String)),
    maintenance_id Nullable(String),
    start DateTime64(3, 'UTC'),
    `end` DateTime64(3, 'UTC'),
    version UInt64,
    deleted UInt8,
    schema_version UInt8 DEFAULT 1,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);

CREATE TABLE IF NOT EXISTS ledger
(
    site LowCardinality(String),
    month LowCardinality(String),
    total_minutes Float64,
    maintenance_minutes Float64,
    downtime_minutes Float64,
    excluded_minutes Float64,
    availability_pct Nullable(Float64),
    target_pct Float64,
    met Nullable(Bool),
    budget_left_minutes Nullable(Float64),
    version UInt64,
    computed_at DateTime64(3, 'UTC'),
    schema_version UInt8 DEFAULT 1,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (month, site);

CREATE TABLE IF NOT EXISTS site_status
(
    site LowCardinality(String),
    state Enum8('up' = 1, 'degraded' = 2, 'down' = 3, 'maintenance' = 4, 'unknown' = 5),
    since DateTime64(3, 'UTC'),
    version UInt64,
    schema_version UInt8 DEFAULT 1,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY site;
