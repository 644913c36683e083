"""What the status page reads from the store, behind one interface.

Handlers never write SQL: they call a :class:`StatusRepository`. The methods are
synchronous (the chDB backend has no async client); :class:`slawatch.web.app` calls
them in a worker thread, one at a time. Every method takes the site ids it may return,
so that a private client's rows are filtered out by the query itself, not afterwards.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sla.model import (
    ExclusionEvent,
    LedgerRow,
    MaintenanceEvent,
    Outage,
    Outcome,
    Segment,
    SiteStatus,
)


@dataclass(frozen=True)
class RegionCheck:
    """The latest check of a site from one region."""

    site: str
    region: str
    outcome: Outcome
    started_at: datetime
    error_kind: str | None
    total_ms: float | None


@dataclass(frozen=True)
class ResponsePoint:
    """A site's response time from one region over one time bucket (median and 95th pct)."""

    site: str
    region: str
    bucket_start: datetime
    p50_ms: float
    p95_ms: float
    checks: int


class StatusRepository(Protocol):
    """Read-only access to the store for the status page and API."""

    def site_states(self, sites: Collection[str]) -> dict[str, SiteStatus]:
        """The current state of each of ``sites`` that has one (latest version wins)."""
        ...

    def first_checks(self, sites: Collection[str], since: datetime) -> dict[str, datetime]:
        """When each of ``sites`` was first checked, or ``since`` if it was checked before.

        Sites never checked since ``since`` are absent (their days have no data).
        """
        ...

    def region_checks(self, sites: Collection[str], since: datetime) -> list[RegionCheck]:
        """The latest check since ``since`` of each of ``sites`` from each region."""
        ...

    def ledger_rows(self, sites: Collection[str], month: str) -> dict[str, LedgerRow]:
        """The month's ledger row of each of ``sites`` (latest version wins)."""
        ...

    def segments(self, sites: Collection[str], start: datetime, end: datetime) -> list[Segment]:
        """Live (not deleted) segments of ``sites`` overlapping ``[start, end)``, latest version."""
        ...

    def outages(self, sites: Collection[str], start: datetime, end: datetime) -> list[Outage]:
        """Outages of ``sites`` overlapping ``[start, end)`` (open ones too), latest version."""
        ...

    def exclusions(
        self, sites: Collection[str], start: datetime, end: datetime
    ) -> list[ExclusionEvent]:
        """Exclusions of ``sites`` (and of every site, ``"*"``) overlapping ``[start, end)``."""
        ...

    def maintenance(self, ends_after: datetime) -> list[MaintenanceEvent]:
        """Maintenance windows (cancelled ones included) that end after ``ends_after``."""
        ...

    def response_times(
        self, sites: Collection[str], start: datetime, end: datetime, bucket_s: int
    ) -> list[ResponsePoint]:
        """Total response time per site, region and ``bucket_s`` bucket in ``[start, end)``."""
        ...
