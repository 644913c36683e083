"""The status page's :class:`StatusRepository` over clickhouse-connect (chDB or a server).

Tables are those of ``deploy/clickhouse/migrations``. Stream tables are
ReplacingMergeTrees written at least once: every query reads them with ``FINAL`` (or
``argMax(..., version)``) so a message written twice counts once. Site ids are always
bound as a parameter (``{sites:Array(String)}``), never formatted into the SQL.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client as ClickHouseClient

from sinks.store_events import MAINTENANCE_COLUMNS, maintenance_from_row
from sla.model import (
    ExclusionEvent,
    LedgerRow,
    MaintenanceEvent,
    Outage,
    Outcome,
    Segment,
    SiteStatus,
)
from slawatch.web.repository import RegionCheck, ResponsePoint

_SITE_STATES = """
SELECT site, argMax(state, version), argMax(since, version), max(version)
FROM site_status WHERE site IN {sites:Array(String)} GROUP BY site
"""

# First the day (the daily rollup: a few rows per site), then, only for sites whose first
# day is recent, the minute: the per-minute rollup is never scanned over its whole TTL.
_FIRST_DAYS = """
SELECT site, min(day) FROM probe_results_1d
WHERE site IN {sites:Array(String)} AND day >= {since:Date} GROUP BY site
"""

_FIRST_MINUTES = """
SELECT site, min(minute) FROM probe_results_1m
WHERE site IN {sites:Array(String)} AND minute >= {since:DateTime64(3, 'UTC')} GROUP BY site
"""

_REGION_CHECKS = """
SELECT site, region, max(scheduled_at) AS at,
       argMax(tuple(outcome, error_kind, total_ms), scheduled_at) AS latest
FROM probe_results
WHERE site IN {sites:Array(String)} AND scheduled_at >= {since:DateTime64(3, 'UTC')}
GROUP BY site, region ORDER BY site, region
"""

_LEDGER = """
SELECT site, month, total_minutes, maintenance_minutes, downtime_minutes, excluded_minutes,
       availability_pct, target_pct, met, budget_left_minutes, version, computed_at
FROM ledger FINAL
WHERE month = {month:String} AND site IN {sites:Array(String)}
"""

_LEDGER_COLUMNS = (
    "site",
    "month",
    "total_minutes",
    "maintenance_minutes",
    "downtime_minutes",
    "excluded_minutes",
    "availability_pct",
    "target_pct",
    "met",
    "budget_left_minutes",
    "version",
    "computed_at",
)

_SEGMENTS = """
SELECT id, site, outage_id, label, reason, maintenance_id, start, `end`, version
FROM segments FINAL
WHERE site IN {sites:Array(String)} AND deleted = 0
  AND start < {end:DateTime64(3, 'UTC')} AND `end` > {start:DateTime64(3, 'UTC')}
ORDER BY site, start
"""

_OUTAGES = """
SELECT id, site, client, state, start, `end`, classification, regions_down, version
FROM outages FINAL
WHERE site IN {sites:Array(String)} AND start < {end:DateTime64(3, 'UTC')}
  AND (`end` IS NULL OR `end` > {start:DateTime64(3, 'UTC')})
ORDER BY site, start
"""

_EXCLUSIONS = """
SELECT id, site, reason, start, `end`, note
FROM exclusions FINAL
WHERE (site IN {sites:Array(String)} OR site = '*')
  AND start < {end:DateTime64(3, 'UTC')} AND `end` > {start:DateTime64(3, 'UTC')}
ORDER BY start, id
"""

_MAINTENANCE = (
    f"SELECT {MAINTENANCE_COLUMNS} FROM maintenance FINAL"
    " WHERE `end` > {after:DateTime64(3, 'UTC')} ORDER BY start, id"
)

_RESPONSE_TIMES = """
SELECT site, region, toStartOfInterval(minute, toIntervalSecond({bucket:UInt32})) AS bucket,
       countMerge(checks), quantilesMerge(0.5, 0.9, 0.95, 0.99)(total_ms_q)
FROM probe_results_1m
WHERE site IN {sites:Array(String)}
  AND minute >= {start:DateTime64(3, 'UTC')} AND minute < {end:DateTime64(3, 'UTC')}
GROUP BY site, region, bucket ORDER BY site, region, bucket
"""


def _utc(value: datetime) -> datetime:
    """clickhouse-connect returns naive datetimes for UTC columns: make them aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


class ClickHouseStatusRepository:
    """Reads the status page's data through one clickhouse-connect client.

    The client may be shared with other components of the same process (the chDB engine
    is one per process); a lock keeps this repository to one query at a time.
    """

    def __init__(self, client: ClickHouseClient) -> None:
        self._client = client
        self._lock = threading.Lock()

    def _rows(self, sql: str, **parameters: Any) -> Sequence[Sequence[Any]]:
        with self._lock:
            return self._client.query(sql, parameters=parameters).result_rows

    def site_states(self, sites: Collection[str]) -> dict[str, SiteStatus]:
        """See :meth:`StatusRepository.site_states`."""
        rows = self._rows(_SITE_STATES, sites=list(sites))
        return {
            site: SiteStatus(site=site, state=state, since=_utc(since), version=version)
            for site, state, since, version in rows
        }

    def first_checks(self, sites: Collection[str], since: datetime) -> dict[str, datetime]:
        """See :meth:`StatusRepository.first_checks`."""
        since_day = since.astimezone(UTC).date() - timedelta(days=1)
        rows = self._rows(_FIRST_DAYS, sites=list(sites), since=since_day)
        days: dict[str, date] = {site: day for site, day in rows}
        result = {site: since for site, day in days.items() if day <= since_day}
        recent = [site for site, day in days.items() if day > since_day]
        if recent:
            start = datetime.combine(min(days[s] for s in recent), time(), UTC)
            minutes = self._rows(_FIRST_MINUTES, sites=recent, since=start)
            result.update({site: max(_utc(first), since) for site, first in minutes})
        return result

    def region_checks(self, sites: Collection[str], since: datetime) -> list[RegionCheck]:
        """See :meth:`StatusRepository.region_checks`."""
        # One tuple per row: argMax of a Nullable column alone would skip the NULLs and
        # return an older check's error or response time.
        rows = self._rows(_REGION_CHECKS, sites=list(sites), since=since)
        return [
            RegionCheck(site, region, Outcome(latest[0]), _utc(at), latest[1], latest[2])
            for site, region, at, latest in rows
        ]

    def ledger_rows(self, sites: Collection[str], month: str) -> dict[str, LedgerRow]:
        """See :meth:`StatusRepository.ledger_rows`."""
        rows = self._rows(_LEDGER, sites=list(sites), month=month)
        result = {}
        for row in rows:
            values = dict(zip(_LEDGER_COLUMNS, row, strict=True))
            values["computed_at"] = _utc(values["computed_at"])
            result[values["site"]] = LedgerRow(**values)
        return result

    def segments(self, sites: Collection[str], start: datetime, end: datetime) -> list[Segment]:
        """See :meth:`StatusRepository.segments`."""
        rows = self._rows(_SEGMENTS, sites=list(sites), start=start, end=end)
        return [
            Segment(
                id=id_,
                site=site,
                outage_id=outage_id,
                label=label,
                reason=reason,
                maintenance_id=maintenance_id,
                start=_utc(s),
                end=_utc(e),
                version=version,
            )
            for id_, site, outage_id, label, reason, maintenance_id, s, e, version in rows
        ]

    def outages(self, sites: Collection[str], start: datetime, end: datetime) -> list[Outage]:
        """See :meth:`StatusRepository.outages`."""
        rows = self._rows(_OUTAGES, sites=list(sites), start=start, end=end)
        return [
            Outage(
                id=id_,
                site=site,
                client=client,
                state=state,
                start=_utc(s),
                end=_maybe_utc(e),
                classification=classification,
                regions_down=list(regions),
                version=version,
            )
            for id_, site, client, state, s, e, classification, regions, version in rows
        ]

    def exclusions(
        self, sites: Collection[str], start: datetime, end: datetime
    ) -> list[ExclusionEvent]:
        """See :meth:`StatusRepository.exclusions`."""
        rows = self._rows(_EXCLUSIONS, sites=list(sites), start=start, end=end)
        return [
            ExclusionEvent(id=id_, site=site, reason=reason, start=_utc(s), end=_utc(e), note=note)
            for id_, site, reason, s, e, note in rows
        ]

    def maintenance(self, ends_after: datetime) -> list[MaintenanceEvent]:
        """See :meth:`StatusRepository.maintenance`."""
        return [maintenance_from_row(row) for row in self._rows(_MAINTENANCE, after=ends_after)]

    def response_times(
        self, sites: Collection[str], start: datetime, end: datetime, bucket_s: int
    ) -> list[ResponsePoint]:
        """See :meth:`StatusRepository.response_times`."""
        rows = self._rows(_RESPONSE_TIMES, sites=list(sites), start=start, end=end, bucket=bucket_s)
        points = []
        for site, region, bucket, checks, quantiles in rows:
            p50, _p90, p95, _p99 = quantiles
            if math.isnan(p50):  # no check of the bucket had a response time
                continue
            points.append(ResponsePoint(site, region, _utc(bucket), p50, p95, checks))
        return points
