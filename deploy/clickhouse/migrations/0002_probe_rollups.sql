-- Per-minute and per-day rollups of probe results per site and region (UTC buckets),
-- kept as AggregatingMergeTree states: read them with countMerge(checks),
-- countIfMerge(failures), countIfMerge(degraded), quantilesMerge(0.5, 0.9, 0.95, 0.99)(total_ms_q).
-- Materialized views see each inserted row once; the sink never inserts a result twice.
CREATE TABLE IF NOT EXISTS probe_results_1m
(
    site LowCardinality(String),
    region LowCardinality(String),
    minute DateTime64(3, 'UTC'),
    checks AggregateFunction(count),
    failures AggregateFunction(countIf, UInt8),
    degraded AggregateFunction(countIf, UInt8),
    total_ms_q AggregateFunction(quantiles(0.5, 0.9, 0.95, 0.99), Nullable(Float64))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (site, region, minute)
TTL toDateTime(minute) + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS probe_results_1m_mv TO probe_results_1m AS
SELECT
    site,
    region,
    toDateTime64(toStartOfMinute(scheduled_at), 3, 'UTC') AS minute,
    countState() AS checks,
    countIfState(outcome = 'down') AS failures,
    countIfState(outcome = 'degraded') AS degraded,
    quantilesState(0.5, 0.9, 0.95, 0.99)(total_ms) AS total_ms_q
FROM probe_results
GROUP BY site, region, minute;

CREATE TABLE IF NOT EXISTS probe_results_1d
(
    site LowCardinality(String),
    region LowCardinality(String),
    day Date,
    checks AggregateFunction(count),
    failures AggregateFunction(countIf, UInt8),
    degraded AggregateFunction(countIf, UInt8),
    total_ms_q AggregateFunction(quantiles(0.5, 0.9, 0.95, 0.99), Nullable(Float64))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, region, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS probe_results_1d_mv TO probe_results_1d AS
SELECT
    site,
    region,
    toDate(scheduled_at, 'UTC') AS day,
    countState() AS checks,
    countIfState(outcome = 'down') AS failures,
    countIfState(outcome = 'degraded') AS degraded,
    quantilesState(0.5, 0.9, 0.95, 0.99)(total_ms) AS total_ms_q
FROM probe_results
GROUP BY site, region, day;
