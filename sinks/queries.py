"""Availability from the store, for Python callers (status page, reports, scripts).

Thin wrappers over the views of deploy/clickhouse/migrations with bound parameters:
``sla_month`` for a contract month and ``sla_availability`` for any range. Rows come
back as dicts keyed by column name, timestamps as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

_RANGE = (
    "SELECT * FROM sla_availability(range_start = {start:String}, range_end = {end:String})"
    " WHERE {site:Nullable(String)} IS NULL OR site = {site:Nullable(String)} ORDER BY site"
)
_MONTH = (
    "SELECT * FROM sla_month(month = {month:String})"
    " WHERE {site:Nullable(String)} IS NULL OR site = {site:Nullable(String)} ORDER BY site"
)


def _utc_text(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("timestamp needs a time zone")
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _rows(result: Any) -> list[dict[str, Any]]:
    out = []
    for row in result.result_rows:
        item = dict(zip(result.column_names, row, strict=True))
        for key, value in item.items():
            if isinstance(value, datetime) and value.tzinfo is None:
                item[key] = value.replace(tzinfo=UTC)
        out.append(item)
    return out


def availability_between(
    client: Any, start: datetime, end: datetime, site: str | None = None
) -> list[dict[str, Any]]:
    """Per site: availability over ``[start, end)`` from the disjoint segments."""
    if end <= start:
        raise ValueError("end must be after start")
    parameters = {"start": _utc_text(start), "end": _utc_text(end), "site": site}
    return _rows(client.query(_RANGE, parameters=parameters))


def monthly_statement(client: Any, month: str, site: str | None = None) -> list[dict[str, Any]]:
    """Per site: the contract month ``YYYY-MM`` (Europe/Brussels) from ``sla_month``."""
    return _rows(client.query(_MONTH, parameters={"month": month, "site": site}))
