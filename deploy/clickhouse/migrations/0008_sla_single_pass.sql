-- Faster availability views (same results as 0005/0006, which they replace): each source
-- table is read once. The first versions recomputed their shared subqueries (ClickHouse
-- inlines CTEs) and joined every all-sites maintenance window with every site; here each
-- site's maintenance minutes are the union length of its own windows and the all-sites
-- windows, folded over the sorted intervals (arrayFold), and
-- sla_month(month = 'YYYY-MM') reads only that month, whatever the history.
--
-- Union length of sorted intervals [(s, e), ...]: walk them keeping the furthest end seen;
-- each interval adds only what lies past it.

CREATE OR REPLACE VIEW sla_availability AS
WITH
    (SELECT if(count() = 0, 99.9, argMax(target_pct, updated_at)) FROM contract_terms) AS target,
    {range_start:DateTime64(3, 'UTC')} AS r_start,
    {range_end:DateTime64(3, 'UTC')} AS r_end,
    (
        SELECT groupArray((greatest(start, r_start), least(`end`, r_end)))
        FROM maintenance FINAL
        WHERE NOT cancelled AND all_sites AND `end` > r_start AND start < r_end
    ) AS all_sites_windows
SELECT
    site,
    r_start AS range_start,
    r_end AS range_end,
    dateDiff('millisecond', r_start, r_end) / 60000 AS total_minutes,
    arrayFold(
        (acc, w) -> (acc.1 + greatest(0, dateDiff('millisecond', greatest(w.1, acc.2), w.2)),
                     greatest(acc.2, w.2)),
        arraySort(arrayConcat(own_windows, all_sites_windows)),
        (toInt64(0), r_start)
    ).1 / 60000 AS maintenance_minutes,
    downtime_ms / 60000 AS downtime_minutes,
    excluded_ms / 60000 AS excluded_minutes,
    in_maintenance_ms / 60000 AS outage_in_maintenance_minutes,
    if(total_minutes - maintenance_minutes > 0,
       (total_minutes - maintenance_minutes - downtime_minutes)
           / (total_minutes - maintenance_minutes) * 100,
       NULL) AS availability_pct,
    target AS target_pct,
    if(availability_pct IS NULL, NULL, availability_pct >= target) AS met,
    (total_minutes - maintenance_minutes) * (100 - target) / 100 - downtime_minutes
        AS budget_left_minutes
FROM
(
    SELECT
        site,
        sumIf(dateDiff('millisecond', s, e), kind = 'downtime') AS downtime_ms,
        sumIf(dateDiff('millisecond', s, e), kind = 'excluded') AS excluded_ms,
        sumIf(dateDiff('millisecond', s, e), kind = 'maintenance') AS in_maintenance_ms,
        groupArrayIf((s, e), kind = 'window') AS own_windows
    FROM
    (
        SELECT site, toString(label) AS kind,
               greatest(start, r_start) AS s, least(`end`, r_end) AS e
        FROM segments FINAL
        WHERE deleted = 0 AND `end` > r_start AND start < r_end
        UNION ALL
        SELECT arrayJoin(sites) AS site, 'window' AS kind,
               greatest(start, r_start) AS s, least(`end`, r_end) AS e
        FROM maintenance FINAL
        WHERE NOT cancelled AND NOT all_sites AND `end` > r_start AND start < r_end
        UNION ALL
        SELECT DISTINCT site, 'probed' AS kind, r_start AS s, r_start AS e
        FROM probe_results_1d
        WHERE day >= toDate(r_start, 'UTC') AND day <= toDate(r_end, 'UTC')
    )
    GROUP BY site
    -- the sites of the range: probed in it, or with a segment in it
    HAVING countIf(kind = 'probed' OR e > s AND kind != 'window') > 0
)
SETTINGS join_use_nulls = 0;

-- One contract month (Europe/Brussels) for every site, reading only that month:
--   SELECT * FROM sla_month(month = '2026-01')
-- Sites: probed in the month (by UTC day) or with a segment in it, as in sla_monthly.
CREATE OR REPLACE VIEW sla_month AS
WITH
    (SELECT if(count() = 0, 99.9, argMax(target_pct, updated_at)) FROM contract_terms) AS target,
    {month:String} AS month_text,
    toDate(concat(month_text, '-01')) AS m,
    toTimeZone(toDateTime64(m, 3, 'Europe/Brussels'), 'UTC') AS r_start,
    toTimeZone(toDateTime64(addMonths(m, 1), 3, 'Europe/Brussels'), 'UTC') AS r_end,
    (
        SELECT groupArray((greatest(start, r_start), least(`end`, r_end)))
        FROM maintenance FINAL
        WHERE NOT cancelled AND all_sites AND `end` > r_start AND start < r_end
    ) AS all_sites_windows
SELECT
    site,
    month_text AS month,
    r_start AS month_start,
    r_end AS month_end,
    dateDiff('minute', r_start, r_end) AS total_minutes,
    arrayFold(
        (acc, w) -> (acc.1 + greatest(0, dateDiff('millisecond', greatest(w.1, acc.2), w.2)),
                     greatest(acc.2, w.2)),
        arraySort(arrayConcat(own_windows, all_sites_windows)),
        (toInt64(0), r_start)
    ).1 / 60000 AS maintenance_minutes,
    downtime_ms / 60000 AS downtime_minutes,
    excluded_ms / 60000 AS excluded_minutes,
    in_maintenance_ms / 60000 AS outage_in_maintenance_minutes,
    if(total_minutes - maintenance_minutes > 0,
       (total_minutes - maintenance_minutes - downtime_minutes)
           / (total_minutes - maintenance_minutes) * 100,
       NULL) AS availability_pct,
    target AS target_pct,
    if(availability_pct IS NULL, NULL, availability_pct >= target) AS met,
    (total_minutes - maintenance_minutes) * (100 - target) / 100 - downtime_minutes
        AS budget_left_minutes
FROM
(
    SELECT
        site,
        sumIf(dateDiff('millisecond', s, e), kind = 'downtime') AS downtime_ms,
        sumIf(dateDiff('millisecond', s, e), kind = 'excluded') AS excluded_ms,
        sumIf(dateDiff('millisecond', s, e), kind = 'maintenance') AS in_maintenance_ms,
        groupArrayIf((s, e), kind = 'window') AS own_windows
    FROM
    (
        SELECT site, toString(label) AS kind,
               greatest(start, r_start) AS s, least(`end`, r_end) AS e
        FROM segments FINAL
        WHERE deleted = 0 AND `end` > r_start AND start < r_end
        UNION ALL
        SELECT arrayJoin(sites) AS site, 'window' AS kind,
               greatest(start, r_start) AS s, least(`end`, r_end) AS e
        FROM maintenance FINAL
        WHERE NOT cancelled AND NOT all_sites AND `end` > r_start AND start < r_end
        UNION ALL
        SELECT DISTINCT site, 'probed' AS kind, r_start AS s, r_start AS e
        FROM probe_results_1d
        WHERE toStartOfMonth(day) = m
    )
    GROUP BY site
    HAVING countIf(kind = 'probed' OR e > s AND kind != 'window') > 0
)
SETTINGS join_use_nulls = 0;
