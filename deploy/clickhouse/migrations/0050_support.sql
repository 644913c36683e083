-- Support requests and backup snapshots (topics support and snapshots; sla.model.SupportEvent
-- and SnapshotEvent), written by the sink with slawatch.alerting.rows. Columns follow the
-- models' fields; version is the Kafka record's timestamp (ms), so a redelivered message
-- replaces itself. Read with FINAL.
CREATE TABLE IF NOT EXISTS support_events
(
    request_id String,
    step Enum8('received' = 1, 'acknowledged' = 2, 'resolved' = 3),
    at DateTime64(3, 'UTC'),
    priority LowCardinality(Nullable(String)),
    client LowCardinality(String),
    project_id String,
    owner_email String,
    form_name String,
    impact String,
    incident_at Nullable(DateTime64(3, 'UTC')),
    version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (request_id, step);

-- One row per request: the instants of its steps and the wall-clock hours between them.
-- Business hours (what the contract's targets are in) are computed by the alert engine
-- and by `slawatch support report`; breaches land in the alerts table.
CREATE VIEW IF NOT EXISTS support_requests AS
SELECT
    request_id,
    anyIf(priority, step = 'received') AS priority,
    anyIf(client, step = 'received') AS client,
    anyIf(project_id, step = 'received') AS project_id,
    minIf(at, step = 'received') AS received_at,
    if(countIf(step = 'acknowledged') > 0, minIf(at, step = 'acknowledged'), NULL)
        AS acknowledged_at,
    if(countIf(step = 'resolved') > 0, minIf(at, step = 'resolved'), NULL) AS resolved_at,
    if(acknowledged_at IS NULL, NULL,
       dateDiff('second', received_at, acknowledged_at) / 3600.0) AS response_wall_hours,
    if(resolved_at IS NULL, NULL,
       dateDiff('second', received_at, resolved_at) / 3600.0) AS resolution_wall_hours
FROM support_events FINAL
GROUP BY request_id
HAVING countIf(step = 'received') > 0;

CREATE TABLE IF NOT EXISTS snapshots
(
    id String,
    system LowCardinality(String),
    taken_at DateTime64(3, 'UTC'),
    ok Bool,
    size_bytes Nullable(UInt64),
    detail String,
    version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (system, id);

-- The age of each system's newest successful snapshot (the bound on data lost by a restore).
CREATE VIEW IF NOT EXISTS snapshot_age AS
SELECT
    system,
    newest_ok,
    dateDiff('second', newest_ok, now64(3, 'UTC')) / 3600.0 AS age_hours,
    arrayCount(t -> t > newest_ok, failed) AS failures_since_ok
FROM
(
    SELECT system, maxIf(taken_at, ok) AS newest_ok, groupArrayIf(taken_at, NOT ok) AS failed
    FROM snapshots FINAL
    GROUP BY system
    HAVING countIf(ok) > 0
);
