"""Split confirmed outages into classified segments, and the month's ledger row (pure).

An outage ``[start, end)`` is cut into disjoint segments, each labelled

* ``maintenance`` — inside a non-cancelled maintenance window covering the site (the
  window's ``maintenance_id``); maintenance wins over everything else, as in the formula;
* ``excluded`` — outside maintenance, inside an exclusion covering the site (with the
  exclusion's ``reason``), or anywhere in an outage classified ``internet_systemic``;
* ``downtime`` — everything else.

Segment ids are deterministic (site and segment start). :func:`reconcile` compares a new
segmentation with the previous one and returns only what changed, with a higher version;
a segment that disappeared is re-emitted with ``deleted=True``. The ledger row uses
:func:`sla.availability.compute_site_month`, the one implementation of the formula.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sla.availability import compute_site_month
from sla.calendar import months_touching
from sla.contract import Contract
from sla.model import (
    ExclusionEvent,
    ExclusionReason,
    LedgerRow,
    MaintenanceEvent,
    OutageEvent,
    Segment,
    SegmentLabel,
)

SYSTEMIC: ExclusionReason = "internet_systemic"


@dataclass(frozen=True)
class ClosedOutage:
    """A confirmed, closed outage interval as the segmenter and the ledger need it."""

    id: str
    site: str
    start: datetime
    end: datetime
    classification: str = "downtime"


@dataclass(frozen=True)
class Piece:
    """One classified piece of an outage (before ids and versions)."""

    start: datetime
    end: datetime
    label: SegmentLabel
    reason: ExclusionReason | None = None
    maintenance_id: str | None = None


def _rank_maintenance(window: MaintenanceEvent) -> tuple[datetime, str]:
    return (window.start, window.id)


def _rank_exclusion(exclusion: ExclusionEvent) -> tuple[datetime, str, str]:
    return (exclusion.start, exclusion.reason, exclusion.id or "")


def classify_at(
    instant: datetime,
    systemic: bool,
    maintenance: list[MaintenanceEvent],
    exclusions: list[ExclusionEvent],
) -> tuple[SegmentLabel, ExclusionReason | None, str | None]:
    """The label of the outage at ``instant`` (inputs already filtered to the site, sorted)."""
    for window in maintenance:
        if window.start <= instant < window.end:
            return "maintenance", None, window.id
    for exclusion in exclusions:
        if exclusion.start <= instant < exclusion.end:
            return "excluded", exclusion.reason, None
    if systemic:
        return "excluded", SYSTEMIC, None
    return "downtime", None, None


def relevant(
    site: str,
    maintenance: Iterable[MaintenanceEvent],
    exclusions: Iterable[ExclusionEvent],
) -> tuple[list[MaintenanceEvent], list[ExclusionEvent]]:
    """The non-cancelled windows and the exclusions that cover ``site``, in a stable order."""
    windows = sorted(
        (w for w in maintenance if not w.cancelled and w.covers(site)), key=_rank_maintenance
    )
    excl = sorted((e for e in exclusions if e.covers(site)), key=_rank_exclusion)
    return windows, excl


def segment(
    outage: ClosedOutage,
    maintenance: Iterable[MaintenanceEvent],
    exclusions: Iterable[ExclusionEvent],
) -> list[Piece]:
    """Cut ``outage`` into disjoint, adjacent-merged, classified pieces."""
    if outage.end <= outage.start:
        return []
    windows, excl = relevant(outage.site, maintenance, exclusions)
    cuts = {outage.start, outage.end}
    for item in (*windows, *excl):
        for bound in (item.start, item.end):
            if outage.start < bound < outage.end:
                cuts.add(bound)
    bounds = sorted(cuts)
    systemic = outage.classification == SYSTEMIC
    pieces: list[Piece] = []
    for start, end in itertools.pairwise(bounds):
        label, reason, window_id = classify_at(start, systemic, windows, excl)
        last = pieces[-1] if pieces else None
        if last and (last.label, last.reason, last.maintenance_id) == (label, reason, window_id):
            pieces[-1] = Piece(last.start, end, label, reason, window_id)
        else:
            pieces.append(Piece(start, end, label, reason, window_id))
    return pieces


def segment_id(site: str, start: datetime) -> str:
    """Deterministic segment id: the site and the segment's start."""
    return f"{site}|{start.isoformat()}"


def reconcile(
    outage: ClosedOutage, previous: Mapping[str, Segment], pieces: list[Piece]
) -> tuple[dict[str, Segment], list[Segment]]:
    """The outage's segments after a (re)segmentation, and those to emit.

    ``previous`` holds the outage's segments as last emitted (tombstones included).
    Unchanged segments are not re-emitted; changed, new and removed ones are emitted with
    one version above every earlier version of the outage's segments.
    """
    version = max((s.version for s in previous.values()), default=0) + 1
    current: dict[str, Segment] = {}
    emit: list[Segment] = []
    for piece in pieces:
        seg = Segment(
            id=segment_id(outage.site, piece.start),
            site=outage.site,
            outage_id=outage.id,
            start=piece.start,
            end=piece.end,
            label=piece.label,
            reason=piece.reason,
            maintenance_id=piece.maintenance_id,
            version=version,
        )
        old = previous.get(seg.id)
        if old is not None and old.model_copy(update={"version": version}) == seg:
            current[seg.id] = old
        else:
            current[seg.id] = seg
            emit.append(seg)
    for seg_id, old in previous.items():
        if seg_id not in current:
            tomb = (
                old if old.deleted else old.model_copy(update={"deleted": True, "version": version})
            )
            current[seg_id] = tomb
            if not old.deleted:
                emit.append(tomb)
    return current, emit


def contract_events(outage: ClosedOutage) -> list[OutageEvent | ExclusionEvent]:
    """The ``slawatch sla report`` events equivalent to one closed outage.

    An ``internet_systemic`` outage is also an exclusion of its whole interval.
    """
    events: list[OutageEvent | ExclusionEvent] = [
        OutageEvent(site=outage.site, start=outage.start, end=outage.end)
    ]
    if outage.classification == SYSTEMIC:
        events.append(
            ExclusionEvent(
                site=outage.site,
                start=outage.start,
                end=outage.end,
                reason=SYSTEMIC,
                id=f"systemic|{outage.id}",
                note="confirmed while too few probe regions were healthy",
            )
        )
    return events


def months_of(outage: ClosedOutage, contract: Contract) -> list[str]:
    """The contract months the outage touches."""
    return months_touching(outage.start, outage.end, contract.timezone)


def ledger_row(
    contract: Contract,
    site: str,
    month: str,
    outages: Iterable[ClosedOutage],
    maintenance: Iterable[MaintenanceEvent],
    exclusions: Iterable[ExclusionEvent],
    version: int,
    computed_at: datetime,
) -> LedgerRow:
    """The month's ledger row for ``site`` from its closed outages and the calendar."""
    mine = [o for o in outages if o.site == site]
    windows, excl = relevant(site, maintenance, exclusions)
    exclusion_spans = [(e.start, e.end) for e in excl]
    exclusion_spans += [(o.start, o.end) for o in mine if o.classification == SYSTEMIC]
    figures = compute_site_month(
        contract,
        site,
        month,
        [(o.start, o.end) for o in mine],
        [(w.start, w.end) for w in windows],
        exclusion_spans,
    )
    return figures.to_ledger_row(version, computed_at)
