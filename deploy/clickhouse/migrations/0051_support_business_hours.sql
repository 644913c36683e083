-- The contract's business calendar as a table, and support times in business hours.
--
-- business_hours holds one row per business day (Monday to Friday, minus the public holidays
-- of contract.holidays) with that day's window [window_start, window_end) in UTC, computed by
-- sla.calendar.BusinessCalendar from the configured contract (business_hours.start/end in
-- business_hours.timezone). slawatch fills it for a bounded range of years whenever it
-- prepares the store (`slawatch run`, `slawatch sink`, `slawatch db migrate`) and re-seeds it
-- when the contract's calendar changed; the columns country … timezone say which calendar the
-- rows were computed for. `day` is the date in business_hours.timezone.
CREATE TABLE IF NOT EXISTS business_hours
(
    day Date,
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    country LowCardinality(String),
    hours_start String,
    hours_end String,
    timezone LowCardinality(String),
    seeded_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(seeded_at)
ORDER BY day;

-- support_requests with the contract's measure added: response_business_hours (received to
-- the first of acknowledged/resolved, as sla.support.measure counts it) and
-- resolution_business_hours (received to resolved), the sum over business days of the
-- overlap of the request's span with the day's window. NULL while the step is missing.
-- Every column of 0050 stays, in the same order.
--
-- One pass: each request is repeated once per UTC date its span touches (plus a day of
-- margin each side, since a local business day may sit on a neighbouring UTC date), joined
-- with business_hours on that date (a few thousand rows: a hash join), and folded back.
CREATE OR REPLACE VIEW support_requests AS
SELECT
    request_id, priority, client, project_id, received_at, acknowledged_at, resolved_at,
    response_wall_hours, resolution_wall_hours,
    if(responded_at IS NULL, NULL,
       coalesce(sum(greatest(0, dateDiff('millisecond',
                                         greatest(received_at, b.window_start),
                                         least(assumeNotNull(responded_at), b.window_end)))), 0)
       / 3600000.0) AS response_business_hours,
    if(resolved_at IS NULL, NULL,
       coalesce(sum(greatest(0, dateDiff('millisecond',
                                         greatest(received_at, b.window_start),
                                         least(assumeNotNull(resolved_at), b.window_end)))), 0)
       / 3600000.0) AS resolution_business_hours
FROM
(
    SELECT
        *,
        arrayJoin(arrayMap(
            offset -> addDays(toDate(received_at), offset - 1),
            range(dateDiff('day', toDate(received_at),
                           toDate(greatest(received_at,
                                           coalesce(resolved_at, responded_at, received_at))))
                  + 3)
        )) AS touched_day
    FROM
    (
        SELECT
            request_id,
            anyIf(priority, step = 'received') AS priority,
            anyIf(client, step = 'received') AS client,
            anyIf(project_id, step = 'received') AS project_id,
            minIf(at, step = 'received') AS received_at,
            if(countIf(step = 'acknowledged') > 0, minIf(at, step = 'acknowledged'), NULL)
                AS acknowledged_at,
            if(countIf(step = 'resolved') > 0, minIf(at, step = 'resolved'), NULL)
                AS resolved_at,
            if(acknowledged_at IS NULL, NULL,
               dateDiff('second', received_at, acknowledged_at) / 3600.0) AS response_wall_hours,
            if(resolved_at IS NULL, NULL,
               dateDiff('second', received_at, resolved_at) / 3600.0) AS resolution_wall_hours,
            -- the contract's response ends at the first answer: acknowledged or resolved
            if(acknowledged_at IS NULL, resolved_at,
               if(resolved_at IS NULL, acknowledged_at, least(acknowledged_at, resolved_at)))
                AS responded_at
        FROM support_events FINAL
        GROUP BY request_id
        HAVING countIf(step = 'received') > 0
    )
) AS r
LEFT JOIN (SELECT day, window_start, window_end FROM business_hours FINAL) AS b
    ON b.day = r.touched_day
GROUP BY
    request_id, priority, client, project_id, received_at, acknowledged_at, resolved_at,
    response_wall_hours, resolution_wall_hours, responded_at
