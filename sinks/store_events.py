"""The contract's events read back from ClickHouse, for ``slawatch sla report`` without
``--events``: the same :func:`sla.report.build_report` then runs on them, so the store
and an events file give the same report on the same events.

Mapping (every table read deduplicated with FINAL, ordered by start then id):

* ``outages`` → ``OutageEvent(site, start, end)``; an outage still open ends at ``now``;
  an outage the stream classified ``internet_systemic`` also yields an exclusion with that
  reason over the same interval (it is not the vendor's downtime);
* ``maintenance`` → ``MaintenanceEvent`` (``sites: "*"`` when it covers every site),
  cancelled windows included (the report leaves them out itself);
* ``exclusions`` → ``ExclusionEvent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sla.model import ExclusionEvent, MaintenanceEvent, OutageEvent

Event = OutageEvent | MaintenanceEvent | ExclusionEvent


def _utc(value: datetime) -> datetime:
    """clickhouse-connect returns naive datetimes for UTC columns: they are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_outages(client: Any, now: datetime, site: str | None = None) -> list[Event]:
    """Confirmed outages (open ones cut at ``now``) and the systemic ones' exclusions."""
    rows = client.query(
        "SELECT site, start, `end`, classification FROM outages FINAL"
        " WHERE {site:Nullable(String)} IS NULL OR site = {site:Nullable(String)}"
        " ORDER BY start, id",
        parameters={"site": site},
    ).result_rows
    events: list[Event] = []
    for name, start, end, classification in rows:
        begin, finish = _utc(start), _utc(end) if end is not None else now
        if finish < begin:
            continue  # opened after ``now``: nothing to report yet
        events.append(OutageEvent(site=name, start=begin, end=finish))
        if classification == "internet_systemic":
            events.append(
                ExclusionEvent(site=name, reason="internet_systemic", start=begin, end=finish)
            )
    return events


MAINTENANCE_COLUMNS = (
    "id, sites, all_sites, start, `end`, announced_at, regular, cancelled, title, impact"
)


def maintenance_from_row(row: Sequence[Any]) -> MaintenanceEvent:
    """A ``maintenance`` row (``MAINTENANCE_COLUMNS``, in order) as its event."""
    id_, sites, all_sites, start, end, announced, regular, cancelled, title, impact = row
    return MaintenanceEvent(
        id=id_,
        sites="*" if all_sites else list(sites),
        start=_utc(start),
        end=_utc(end),
        announced_at=_utc(announced),
        regular=regular,
        cancelled=cancelled,
        title=title,
        impact=impact,
    )


def read_maintenance(client: Any) -> list[Event]:
    """Every maintenance window's latest version (the weekly limit needs all of them)."""
    rows = client.query(
        f"SELECT {MAINTENANCE_COLUMNS} FROM maintenance FINAL ORDER BY start, id"
    ).result_rows
    return [maintenance_from_row(row) for row in rows]


def read_exclusions(client: Any, site: str | None = None) -> list[Event]:
    """Exclusions (for ``site``: its own and those for every site)."""
    rows = client.query(
        "SELECT id, site, reason, start, `end`, note FROM exclusions FINAL"
        " WHERE {site:Nullable(String)} IS NULL OR site IN ('*', {site:Nullable(String)})"
        " ORDER BY start, id",
        parameters={"site": site},
    ).result_rows
    return [
        ExclusionEvent(id=id_, site=name, reason=reason, start=_utc(s), end=_utc(e), note=note)
        for id_, name, reason, s, e, note in rows
    ]


def read_events(client: Any, now: datetime, site: str | None = None) -> list[Event]:
    """Everything ``build_report`` needs, from the store."""
    return [
        *read_outages(client, now, site),
        *read_maintenance(client),
        *read_exclusions(client, site),
    ]
