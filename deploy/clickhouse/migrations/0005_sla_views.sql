-- Availability computed from the disjoint segments, per site and contract month
-- (calendar months cut in Europe/Brussels, the contract's time zone):
--   A = (T - M - D) / (T - M) * 100
--   T = minutes in the month, M = minutes of the union of the (not cancelled) maintenance
--   windows covering the site, D = minutes of downtime segments (latest version, deleted = 0).
-- Sites: every site probed in the month (probe_results_1d) or with a segment in it.
-- sla_availability(range_start=..., range_end=...) is the same over any range.
CREATE VIEW IF NOT EXISTS sla_monthly AS
WITH
    (SELECT if(count() = 0, 99.9, argMax(target_pct, updated_at)) FROM contract_terms) AS target,
    segment_pieces AS (
        -- every segment cut into its contract months, clipped to the month
        SELECT site, toString(label) AS kind, m, greatest(start, m_start) AS s, least(`end`, m_end) AS e
        FROM segments FINAL
        ARRAY JOIN arrayMap(
            k -> addMonths(toStartOfMonth(toTimeZone(start, 'Europe/Brussels')), k),
            range(toUInt32(dateDiff('month',
                toStartOfMonth(toTimeZone(start, 'Europe/Brussels')),
                toStartOfMonth(toTimeZone(`end`, 'Europe/Brussels')))) + 1)
        ) AS m
        ARRAY JOIN [toTimeZone(toDateTime64(m, 3, 'Europe/Brussels'), 'UTC')] AS m_start
        ARRAY JOIN [toTimeZone(toDateTime64(addMonths(m, 1), 3, 'Europe/Brussels'), 'UTC')] AS m_end
        WHERE deleted = 0
    ),
    site_months AS (
        SELECT DISTINCT site, toStartOfMonth(day) AS m FROM probe_results_1d
        UNION DISTINCT
        SELECT DISTINCT site, m FROM segment_pieces WHERE e > s
    ),
    maintenance_pieces AS (
        -- every maintenance window per covered site, cut into contract months
        SELECT site, m, greatest(start, m_start) AS s, least(`end`, m_end) AS e
        FROM (
            SELECT arrayJoin(sites) AS site, start, `end`
            FROM maintenance FINAL WHERE NOT cancelled AND NOT all_sites
            UNION ALL
            SELECT s.site, w.start, w.`end`
            FROM (SELECT start, `end` FROM maintenance FINAL WHERE NOT cancelled AND all_sites) AS w
            CROSS JOIN (SELECT DISTINCT site FROM site_months) AS s
        )
        ARRAY JOIN arrayMap(
            k -> addMonths(toStartOfMonth(toTimeZone(start, 'Europe/Brussels')), k),
            range(toUInt32(dateDiff('month',
                toStartOfMonth(toTimeZone(start, 'Europe/Brussels')),
                toStartOfMonth(toTimeZone(`end`, 'Europe/Brussels')))) + 1)
        ) AS m
        ARRAY JOIN [toTimeZone(toDateTime64(m, 3, 'Europe/Brussels'), 'UTC')] AS m_start
        ARRAY JOIN [toTimeZone(toDateTime64(addMonths(m, 1), 3, 'Europe/Brussels'), 'UTC')] AS m_end
    ),
    maintenance_union AS (
        -- length of the union of overlapping windows: each window counts only past the
        -- furthest end of the windows that started before it
        SELECT site, m, sum(greatest(0, dateDiff('millisecond', greatest(s, prev_end), e))) / 60000 AS minutes
        FROM (
            SELECT site, m, s, e,
                max(e) OVER (PARTITION BY site, m ORDER BY s, e
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM maintenance_pieces WHERE e > s
        )
        GROUP BY site, m
    ),
    segment_minutes AS (
        SELECT site, m,
            sumIf(dateDiff('millisecond', s, e), kind = 'downtime') / 60000 AS downtime,
            sumIf(dateDiff('millisecond', s, e), kind = 'excluded') / 60000 AS excluded,
            sumIf(dateDiff('millisecond', s, e), kind = 'maintenance') / 60000 AS in_maintenance
        FROM segment_pieces WHERE e > s
        GROUP BY site, m
    )
SELECT
    sm.site AS site,
    formatDateTime(sm.m, '%Y-%m') AS month,
    toTimeZone(toDateTime64(sm.m, 3, 'Europe/Brussels'), 'UTC') AS month_start,
    toTimeZone(toDateTime64(addMonths(sm.m, 1), 3, 'Europe/Brussels'), 'UTC') AS month_end,
    dateDiff('minute', month_start, month_end) AS total_minutes,
    mu.minutes AS maintenance_minutes,
    sg.downtime AS downtime_minutes,
    sg.excluded AS excluded_minutes,
    sg.in_maintenance AS outage_in_maintenance_minutes,
    if(total_minutes - maintenance_minutes > 0,
       (total_minutes - maintenance_minutes - downtime_minutes)
           / (total_minutes - maintenance_minutes) * 100,
       NULL) AS availability_pct,
    target AS target_pct,
    if(availability_pct IS NULL, NULL, availability_pct >= target) AS met,
    (total_minutes - maintenance_minutes) * (100 - target) / 100 - downtime_minutes
        AS budget_left_minutes
FROM site_months AS sm
LEFT JOIN maintenance_union AS mu ON mu.site = sm.site AND mu.m = sm.m
LEFT JOIN segment_minutes AS sg ON sg.site = sm.site AND sg.m = sm.m
SETTINGS join_use_nulls = 0;
