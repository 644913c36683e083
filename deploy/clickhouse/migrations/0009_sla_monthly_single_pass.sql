-- sla_monthly again (same results as 0005), reading each source table once: every segment,
-- site maintenance window and probed site becomes (site, month) pieces grouped in one pass;
-- the all-sites windows join per month (a small table), and maintenance minutes are the
-- union length of the site's and the all-sites windows (arrayFold, as in 0008).
CREATE OR REPLACE VIEW sla_monthly AS
WITH
    (SELECT if(count() = 0, 99.9, argMax(target_pct, updated_at)) FROM contract_terms) AS target
SELECT
    x.site AS site,
    formatDateTime(x.m, '%Y-%m') AS month,
    x.m_start AS month_start,
    x.m_end AS month_end,
    dateDiff('minute', x.m_start, x.m_end) AS total_minutes,
    arrayFold(
        (acc, w) -> (acc.1 + greatest(0, dateDiff('millisecond', greatest(w.1, acc.2), w.2)),
                     greatest(acc.2, w.2)),
        arraySort(arrayConcat(x.own_windows, g.windows)),
        (toInt64(0), x.m_start)
    ).1 / 60000 AS maintenance_minutes,
    x.downtime_ms / 60000 AS downtime_minutes,
    x.excluded_ms / 60000 AS excluded_minutes,
    x.in_maintenance_ms / 60000 AS outage_in_maintenance_minutes,
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
        site, m, any(m_start) AS m_start, any(m_end) AS m_end,
        sumIf(dateDiff('millisecond', s, e), kind = 'downtime') AS downtime_ms,
        sumIf(dateDiff('millisecond', s, e), kind = 'excluded') AS excluded_ms,
        sumIf(dateDiff('millisecond', s, e), kind = 'maintenance') AS in_maintenance_ms,
        groupArrayIf((s, e), kind = 'window') AS own_windows
    FROM
    (
        SELECT site, kind, m,
               toTimeZone(toDateTime64(m, 3, 'Europe/Brussels'), 'UTC') AS m_start,
               toTimeZone(toDateTime64(addMonths(m, 1), 3, 'Europe/Brussels'), 'UTC') AS m_end,
               greatest(start, m_start) AS s, least(`end`, m_end) AS e
        FROM
        (
            SELECT site, toString(label) AS kind, start, `end`
            FROM segments FINAL WHERE deleted = 0
            UNION ALL
            SELECT arrayJoin(sites) AS site, 'window' AS kind, start, `end`
            FROM maintenance FINAL WHERE NOT cancelled AND NOT all_sites
        )
        ARRAY JOIN arrayMap(
            k -> addMonths(toStartOfMonth(toTimeZone(start, 'Europe/Brussels')), k),
            range(toUInt32(dateDiff('month',
                toStartOfMonth(toTimeZone(start, 'Europe/Brussels')),
                toStartOfMonth(toTimeZone(`end`, 'Europe/Brussels')))) + 1)
        ) AS m
        UNION ALL
        SELECT DISTINCT site, 'probed' AS kind, toStartOfMonth(day) AS m,
               toTimeZone(toDateTime64(m, 3, 'Europe/Brussels'), 'UTC') AS m_start,
               toTimeZone(toDateTime64(addMonths(m, 1), 3, 'Europe/Brussels'), 'UTC') AS m_end,
               m_start AS s, m_start AS e
        FROM probe_results_1d
    )
    GROUP BY site, m
    -- the sites of a month: probed in it, or with a segment in it
    HAVING countIf(kind = 'probed' OR e > s AND kind != 'window') > 0
) AS x
LEFT JOIN
(
    SELECT m, groupArray((greatest(start, m_start), least(`end`, m_end))) AS windows
    FROM
    (
        SELECT start, `end`, m,
               toTimeZone(toDateTime64(m, 3, 'Europe/Brussels'), 'UTC') AS m_start,
               toTimeZone(toDateTime64(addMonths(m, 1), 3, 'Europe/Brussels'), 'UTC') AS m_end
        FROM maintenance FINAL
        ARRAY JOIN arrayMap(
            k -> addMonths(toStartOfMonth(toTimeZone(start, 'Europe/Brussels')), k),
            range(toUInt32(dateDiff('month',
                toStartOfMonth(toTimeZone(start, 'Europe/Brussels')),
                toStartOfMonth(toTimeZone(`end`, 'Europe/Brussels')))) + 1)
        ) AS m
        WHERE NOT cancelled AND all_sites
    )
    GROUP BY m
) AS g ON g.m = x.m
SETTINGS join_use_nulls = 0;
