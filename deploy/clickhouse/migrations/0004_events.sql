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

-- Alerts (topic alerts, sla.model.Alert): one row per alert id, the latest version wins
-- (firing, then resolved). details is the message's details object as a JSON string.
CREATE TABLE IF NOT EXISTS alerts
(
    id String,
    rule LowCardinality(String),
    severity Enum8('page' = 1, 'ticket' = 2, 'info' = 3),
    state Enum8('firing' = 1, 'resolved' = 2),
    site LowCardinality(Nullable(String)),
    client LowCardinality(Nullable(String)),
    region LowCardinality(Nullable(String)),
    summary String,
    details String,
    starts_at DateTime64(3, 'UTC'),
    ends_at Nullable(DateTime64(3, 'UTC')),
    version UInt64,
    emitted_at DateTime64(3, 'UTC'),
    schema_version UInt8 DEFAULT 1,
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
