-- The contract's view of each maintenance window, computed by the sink with sla.maintenance
-- (one implementation of the rules) when it writes the row:
--   notice_business_days: business days strictly between announcement and start (holidays
--   of the contract's country, dates in the business-hours time zone);
--   kind: emergency (notice below the contract's minimum), else regular / scheduled;
--   in_business_hours: the window overlaps business hours on a business day;
--   start_local_date: the start's date in the business-hours time zone (for the weekly limit).
ALTER TABLE maintenance
    ADD COLUMN IF NOT EXISTS notice_business_days Int32 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS kind Enum8('emergency' = 1, 'regular' = 2, 'scheduled' = 3) DEFAULT 'scheduled',
    ADD COLUMN IF NOT EXISTS in_business_hours Bool DEFAULT false,
    ADD COLUMN IF NOT EXISTS start_local_date Date DEFAULT toDate(start, 'UTC');

-- Every non-cancelled window with the rules it breaks, like `slawatch sla report`:
-- business_hours (a scheduled or regular window in business hours) and weekly_limit
-- (a regular window starting in the same ISO week as an earlier regular one; ordered by
-- start, then id).
CREATE VIEW IF NOT EXISTS maintenance_assessed AS
SELECT
    id, sites, all_sites, start, `end`, announced_at, regular, title, impact,
    notice_business_days, kind,
    arrayFilter(v -> v != '', [
        if(kind != 'emergency' AND in_business_hours, 'business_hours', ''),
        if(kind = 'regular' AND regular_rank_in_week > 1, 'weekly_limit', '')
    ]) AS violations,
    empty(violations) AS compliant,
    dateDiff('millisecond', start, `end`) / 60000 AS duration_minutes
FROM
(
    SELECT *,
        row_number() OVER (
            PARTITION BY kind = 'regular', toISOYear(start_local_date), toISOWeek(start_local_date)
            ORDER BY start, id
        ) AS regular_rank_in_week
    FROM maintenance FINAL
    WHERE NOT cancelled
);
