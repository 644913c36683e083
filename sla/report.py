"""The month's report for every site of an events list: one call, pure.

``build_report(contract, events, month)`` applies the formula (:mod:`sla.availability`) to
each reported site and classifies the maintenance (:mod:`sla.maintenance`). Rendering is
separate (:mod:`sla.render`), so the same report can come from a file or from the store.

Rules beyond the formula:

* reported sites: every site named by an outage, in a maintenance window's site list or by
  an exclusion (never ``"*"``), optionally filtered to one site;
* maintenance windows with the same ``id`` are versions of one window: the last one in the
  events list wins (a later line can cancel or move an announced window); likewise for
  exclusions that carry an ``id``;
* reported maintenance: every non-cancelled window overlapping the month (for one site:
  those that cover it), ordered by start then id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sla.availability import SiteMonth, compute_site_month
from sla.calendar import BusinessCalendar, month_interval
from sla.contract import Contract
from sla.events import Event
from sla.intervals import Interval, overlaps
from sla.maintenance import MaintenanceAssessment, assess_maintenance
from sla.model import ExclusionEvent, MaintenanceEvent, OutageEvent


@dataclass(frozen=True)
class Report:
    """One month of the contract: per-site figures and the month's maintenance."""

    month: str
    contract: Contract
    sites: list[SiteMonth]
    maintenance: list[MaintenanceAssessment]


@dataclass(frozen=True)
class LatestEvents:
    """The events split by type; maintenance and exclusions reduced to their last version."""

    outages: list[OutageEvent]
    maintenance: list[MaintenanceEvent]
    exclusions: list[ExclusionEvent]


def latest_versions(events: Iterable[Event]) -> LatestEvents:
    """Split events by type, keeping the last of the windows (or exclusions) sharing an id."""
    outages: list[OutageEvent] = []
    maintenance: dict[str, MaintenanceEvent] = {}
    exclusions: dict[object, ExclusionEvent] = {}
    for position, event in enumerate(events):
        if isinstance(event, OutageEvent):
            outages.append(event)
        elif isinstance(event, MaintenanceEvent):
            maintenance.pop(event.id, None)  # re-insert: keeps file order of last versions
            maintenance[event.id] = event
        else:
            key: object = event.id if event.id is not None else position
            exclusions.pop(key, None)
            exclusions[key] = event
    return LatestEvents(outages, list(maintenance.values()), list(exclusions.values()))


def reported_sites(events: LatestEvents) -> list[str]:
    """Every site named in the events (``"*"`` names none), sorted."""
    names = {o.site for o in events.outages}
    names.update(s for m in events.maintenance if m.sites != "*" for s in m.sites)
    names.update(e.site for e in events.exclusions if e.site != "*")
    return sorted(names)


def build_report(
    contract: Contract, events: Sequence[Event], month: str, site: str | None = None
) -> Report:
    """The report of ``month`` ("YYYY-MM", ``ValueError`` otherwise) for the events.

    ``site`` restricts the report to that site; a site not named in the events gives an
    empty site list.
    """
    bounds = month_interval(month, contract.timezone)
    current = latest_versions(events)
    sites = [s for s in reported_sites(current) if site is None or s == site]
    active = [m for m in current.maintenance if not m.cancelled]
    outages_by_site: dict[str, list[Interval]] = defaultdict(list)
    for outage in current.outages:
        outages_by_site[outage.site].append(Interval(outage.start, outage.end))
    figures = [
        compute_site_month(
            contract,
            name,
            month,
            outages_by_site[name],
            [(m.start, m.end) for m in active if m.covers(name)],
            [(e.start, e.end) for e in current.exclusions if e.covers(name)],
        )
        for name in sites
    ]
    assessed = assess_maintenance(
        BusinessCalendar.from_contract(contract), contract.notice_business_days, active
    )
    in_month = [
        a
        for a in assessed
        if _touches(a.window, bounds) and (site is None or a.window.covers(site))
    ]
    return Report(month=month, contract=contract, sites=figures, maintenance=in_month)


def _touches(window: MaintenanceEvent, month: Interval) -> bool:
    """Whether the window shares an instant with the month (an empty window: lies in it)."""
    if window.start == window.end:
        return month.start <= window.start < month.end
    return overlaps((window.start, window.end), month)
