-- Raw probe results (topic probe-results), one row per site, region and scheduled slot.
-- The sorting key (site, region, scheduled_at) IS the result's deterministic id, so a
-- ReplacingMergeTree folds any row written twice; read it with FINAL (or through the
-- rollups, which the sink feeds each result exactly once: see README "sink guarantees").
-- Timings are flattened: timings.dns_ms -> dns_ms, ..., timings.total_ms -> total_ms.
-- The TTL below is the default (400 days); the sink applies clickhouse.results_ttl_days
-- at start-up with ALTER TABLE ... MODIFY TTL when the setting differs.
CREATE TABLE IF NOT EXISTS probe_results
(
    site LowCardinality(String),
    client LowCardinality(String),
    region LowCardinality(String),
    worker LowCardinality(String),
    scheduled_at DateTime64(3, 'UTC'),
    started_at DateTime64(3, 'UTC'),
    outcome Enum8('up' = 1, 'degraded' = 2, 'down' = 3),
    error_kind LowCardinality(Nullable(String)),
    error_detail Nullable(String),
    status_code Nullable(UInt16),
    dns_ms Nullable(Float64),
    connect_ms Nullable(Float64),
    tls_ms Nullable(Float64),
    first_byte_ms Nullable(Float64),
    total_ms Nullable(Float64),
    reference_ok Nullable(Bool),
    schema_version UInt8 DEFAULT 1,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(scheduled_at)
ORDER BY (site, region, scheduled_at)
TTL toDateTime(scheduled_at) + INTERVAL 400 DAY;
