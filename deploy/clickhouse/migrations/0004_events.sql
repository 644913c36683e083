-- Maintenance windows, exclusions and alerts. Maintenance and exclusion messages carry no
-- version: the sink uses the Kafka record's timestamp (ms), so the latest announcement of
-- an id wins and a redelivered message replaces itself. Read with FINAL.
-- A window for every site ("sites": "*") is stored as all_sites = 1 with sites = [].
CREATE TABLE IF NOT EXISTS maintenance
(
    id String,
    sites Array(String),
    all_sites Bool,
    start DateTime64(3, 'UTC'),
    `end` DateTime64(3, 'UTC'),
    announced_at DateTime64(3, 'UTC'),
    regular Bool,
    cancelled Bool,
    title String,
    impact String,
    version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- id: the message's id, or (when it has none) a hash of site, reason, start and end.
CREATE TABLE IF NOT EXISTS exclusions
(
    id String,
    site LowCardinality(String),
    reason LowCardinality(String),
    start DateTime64(3, 'UTC'),
    `end` DateTime64(3, 'UTC'),
    note String,
    version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);

-- Alerts (topic alerts): the common fields as columns, the whole message in payload (JSON).
-- version: the message's own "version" when it has one, else the Kafka record's timestamp.
CREATE TABLE IF NOT EXISTS alerts
(
    id String,
    site LowCardinality(String),
    kind LowCardinality(String),
    severity LowCardinality(String),
    state LowCardinality(String),
    at DateTime64(3, 'UTC'),
    summary String,
    payload String,
    version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- The contract terms the views need (the sink writes them from the configuration at start).
CREATE TABLE IF NOT EXISTS contract_terms
(
    key UInt8 DEFAULT 1,
    target_pct Float64,
    timezone String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key;
