-- Availability over any range [range_start, range_end), from the same disjoint segments
-- and maintenance windows as sla_monthly (T = minutes in the range). Use it as
--   SELECT * FROM sla_availability(range_start = '2026-01-01 00:00:00', range_end = '2026-01-08 00:00:00')
-- (UTC instants). Sites: every site probed in the range or with a segment in it.
CREATE VIEW IF NOT EXISTS sla_availability AS
WITH
    (SELECT if(count() = 0, 99.9, argMax(target_pct, updated_at)) FROM contract_terms) AS target,
    {range_start:DateTime64(3, 'UTC')} AS r_start,
    {range_end:DateTime64(3, 'UTC')} AS r_end,
    segment_pieces AS (
        SELECT site, toString(label) AS kind, greatest(start, r_start) AS s, least(`end`, r_end) AS e
        FROM segments FINAL
        WHERE deleted = 0 AND `end` > r_start AND start < r_end
    ),
    sites_in_range AS (
        SELECT DISTINCT site FROM probe_results_1d
        WHERE day >= toDate(r_start, 'UTC') AND day <= toDate(r_end, 'UTC')
        UNION DISTINCT
        SELECT DISTINCT site FROM segment_pieces
    ),
    maintenance_pieces AS (
        SELECT site, greatest(start, r_start) AS s, least(`end`, r_end) AS e
        FROM (
            SELECT arrayJoin(sites) AS site, start, `end`
            FROM maintenance FINAL WHERE NOT cancelled AND NOT all_sites
            UNION ALL
            SELECT s.site, w.start, w.`end`
            FROM (SELECT start, `end` FROM maintenance FINAL WHERE NOT cancelled AND all_sites) AS w
            CROSS JOIN sites_in_range AS s
        )
        WHERE `end` > r_start AND start < r_end
    ),
    maintenance_union AS (
        SELECT site, sum(greatest(0, dateDiff('millisecond', greatest(s, prev_end), e))) / 60000 AS minutes
        FROM (
            SELECT site, s, e,
                max(e) OVER (PARTITION BY site ORDER BY s, e
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM maintenance_pieces WHERE e > s
        )
        GROUP BY site
    ),
    segment_minutes AS (
        SELECT site,
            sumIf(dateDiff('millisecond', s, e), kind = 'downtime') / 60000 AS downtime,
            sumIf(dateDiff('millisecond', s, e), kind = 'excluded') / 60000 AS excluded,
            sumIf(dateDiff('millisecond', s, e), kind = 'maintenance') / 60000 AS in_maintenance
        FROM segment_pieces WHERE e > s
        GROUP BY site
    )
SELECT
    sr.site AS site,
    r_start AS range_start,
    r_end AS range_end,
    dateDiff('millisecond', r_start, r_end) / 60000 AS total_minutes,
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
FROM sites_in_range AS sr
LEFT JOIN maintenance_union AS mu ON mu.site = sr.site
LEFT JOIN segment_minutes AS sg ON sg.site = sr.site
SETTINGS join_use_nulls = 0;
