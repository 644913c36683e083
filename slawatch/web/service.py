"""The status page's figures, computed from what the repository returns.

Everything here is a pure function of the repository's rows, the configuration and
``now`` (passed in). The month's official figure is the stream's ledger row; the daily
bars apply the contract's formula (:mod:`sla`) to each calendar day in the contract's
time zone: downtime from the ``downtime`` segments, maintenance from the windows that
cover the site.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from probes.sites import Site
from sla.model import LedgerRow, MaintenanceEvent, Outage, Segment, SiteState
from slawatch.config import Settings
from slawatch.web.access import Audience
from slawatch.web.figures import (
    LiveMonth,
    MaintenanceKind,
    availability_pct,
    classify_maintenance,
    clip_minutes,
    live_month,
    month_bounds,
    month_key,
    provisional_segments,
)
from slawatch.web.repository import RegionCheck, ResponsePoint, StatusRepository

BAR_DAYS = 90
CHART_HOURS = 24
CHART_BUCKET_S = 15 * 60
FEED_DAYS = 30
REGION_LOOKBACK_DAYS = 1  # older checks say nothing about a region's state now


@dataclass(frozen=True)
class DayBar:
    """One day of a site's uptime bar (``availability_pct`` None: not monitored yet)."""

    day: date
    downtime_minutes: float
    maintenance_minutes: float
    excluded_minutes: float
    availability_pct: float | None


@dataclass(frozen=True)
class SiteSummary:
    """A site as the overview shows it."""

    site: Site
    state: SiteState
    since: datetime | None
    ledger: LedgerRow | None
    days: tuple[DayBar, ...]
    ongoing_downtime_minutes: float = 0.0
    month: LiveMonth | None = None


@dataclass(frozen=True)
class OutageView:
    """An outage with its duration and how its time was classified."""

    outage: Outage
    duration_minutes: float
    minutes_by_label: dict[str, float]
    exclusion_reasons: tuple[str, ...]


@dataclass(frozen=True)
class MaintenanceView:
    """A maintenance window with its kind under the contract and the visible sites it covers."""

    event: MaintenanceEvent
    kind: MaintenanceKind
    ongoing: bool
    sites: tuple[Site, ...]
    notice_business_days: int


@dataclass(frozen=True)
class SiteDetail:
    """Everything the site page shows."""

    summary: SiteSummary
    month: str
    outages: tuple[OutageView, ...]
    regions: tuple[RegionCheck, ...]
    response_times: tuple[ResponsePoint, ...]
    chart_start: datetime
    chart_end: datetime
    maintenance: tuple[MaintenanceView, ...] = field(default=())


@dataclass(frozen=True)
class FeedEntry:
    """One Atom entry: an incident or a maintenance window."""

    id: str
    title: str
    updated: datetime
    published: datetime
    summary: str
    path: str


class StatusService:
    """Builds the pages' and the API's data for one audience at a time."""

    def __init__(
        self,
        settings: Settings,
        repository: StatusRepository,
        clock: Callable[[], datetime],
    ) -> None:
        self._settings = settings
        self._repo = repository
        self._clock = clock
        self._zone = ZoneInfo(settings.contract.timezone)

    @property
    def target_pct(self) -> float:
        """The contract's monthly availability target."""
        return float(self._settings.contract.target_pct)

    def now(self) -> datetime:
        """The current time, tz-aware UTC."""
        return self._clock().astimezone(UTC)

    def current_month(self) -> str:
        """The contract month now (``YYYY-MM`` in the contract's time zone)."""
        return month_key(self.now(), self._zone)

    def overview(self, audience: Audience, with_days: bool = True) -> list[SiteSummary]:
        """The summary of every site of ``audience``.

        The month's figures are the ledger's, plus the downtime of outages still open (the
        stream writes the ledger when an outage closes), through :func:`live_month`.
        """
        ids = audience.site_ids
        if not ids:
            return []
        now = self.now()
        states = self._repo.site_states(ids)
        ledger = self._repo.ledger_rows(ids, self.current_month())
        ongoing = self._ongoing_downtime(ids, now)
        days_by_site: dict[str, tuple[DayBar, ...]] = {}
        if with_days:
            days_by_site = self._day_bars(audience.sites, now)
        summaries = []
        for site in audience.sites:
            status = states.get(site.id)
            summaries.append(
                SiteSummary(
                    site=site,
                    state=status.state if status else SiteState.UNKNOWN,
                    since=status.since if status else None,
                    ledger=ledger.get(site.id),
                    days=days_by_site.get(site.id, ()),
                    ongoing_downtime_minutes=ongoing.get(site.id, 0.0),
                    month=live_month(ledger.get(site.id), ongoing.get(site.id, 0.0)),
                )
            )
        return summaries

    def _ongoing_downtime(self, sites: Sequence[str], now: datetime) -> dict[str, float]:
        """Downtime minutes this month of each site's still-open outages, classified so far."""
        month_start, _ = month_bounds(now, self._zone)
        outages = [o for o in self._repo.outages(sites, month_start, now) if o.end is None]
        if not outages:
            return {}
        minutes: dict[str, float] = {}
        down_sites = sorted({o.site for o in outages})
        for seg in self._segments_so_far(down_sites, outages, month_start, now):
            if seg.label == "downtime" and seg.version == 0:  # provisional: not in the ledger
                clipped = clip_minutes([(seg.start, seg.end)], month_start, now)
                minutes[seg.site] = minutes.get(seg.site, 0.0) + clipped
        return minutes

    def site_detail(self, audience: Audience, site: Site) -> SiteDetail:
        """The site page's data for ``site`` (which ``audience`` may see)."""
        now = self.now()
        summary = self.overview(Audience((site,), audience.client, audience.token))[0]
        month_start, _ = month_bounds(now, self._zone)
        outages = self._repo.outages([site.id], month_start, now)
        segments = self._segments_so_far([site.id], outages, month_start, now)
        chart_start = now - timedelta(hours=CHART_HOURS)
        points = self._repo.response_times([site.id], chart_start, now, CHART_BUCKET_S)
        checks = self._repo.region_checks([site.id], now - timedelta(days=REGION_LOOKBACK_DAYS))
        regions = [r for r in checks if r.site == site.id]
        return SiteDetail(
            summary=summary,
            month=self.current_month(),
            outages=tuple(_outage_views(outages, segments, now)),
            regions=tuple(sorted(regions, key=lambda r: r.region)),
            response_times=tuple(points),
            chart_start=chart_start,
            chart_end=now,
            maintenance=tuple(self.maintenance(Audience((site,), audience.client))),
        )

    def site_live(self, audience: Audience, site: Site) -> tuple[SiteSummary, list[RegionCheck]]:
        """The often-polled part of a site: its state, month's figure and regions."""
        now = self.now()
        summary = self.overview(Audience((site,), audience.client, audience.token), False)[0]
        checks = self._repo.region_checks([site.id], now - timedelta(days=REGION_LOOKBACK_DAYS))
        return summary, sorted((r for r in checks if r.site == site.id), key=lambda r: r.region)

    def maintenance(self, audience: Audience) -> list[MaintenanceView]:
        """Ongoing and upcoming (not cancelled) windows covering a site of ``audience``."""
        now = self.now()
        views = []
        for event in self._repo.maintenance(now):
            covered = tuple(site for site in audience.sites if event.covers(site.id))
            if event.cancelled or not covered or event.end <= now:
                continue
            kind, notice = classify_maintenance(event, self._settings.contract)
            views.append(MaintenanceView(event, kind, event.start <= now, covered, notice))
        return sorted(views, key=lambda v: (v.event.start, v.event.id))

    def feed(self, audience: Audience) -> list[FeedEntry]:
        """Incidents and maintenance of ``audience`` in the last ``FEED_DAYS`` days, newest 1st."""
        now = self.now()
        since = now - timedelta(days=FEED_DAYS)
        names = {site.id: site.name or site.id for site in audience.sites}
        entries = [_outage_entry(o, names, now) for o in self._repo.outages(names, since, now)]
        for event in self._repo.maintenance(since):
            covered = [site for site in audience.sites if event.covers(site.id)]
            if covered:
                kind, _ = classify_maintenance(event, self._settings.contract)
                entries.append(_maintenance_entry(event, kind, covered))
        return sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)

    def _segments_so_far(
        self, sites: Sequence[str], outages: list[Outage], start: datetime, now: datetime
    ) -> list[Segment]:
        """Stored segments, plus those of still-open outages classified up to ``now``.

        The stream segments an outage when it closes; until then the page classifies the
        open part itself, with :func:`sla.segmentation.segment` (the stream's own rules).
        """
        segments = self._repo.segments(sites, start, now)
        stored = {s.outage_id for s in segments}
        ongoing = [o for o in outages if o.end is None and o.id not in stored and o.start < now]
        if not ongoing:
            return segments
        windows = self._repo.maintenance(min(o.start for o in ongoing))
        exclusions = self._repo.exclusions(sites, min(o.start for o in ongoing), now)
        for outage in ongoing:
            segments.extend(provisional_segments(outage, now, windows, exclusions))
        return segments

    def _day_bars(self, sites: Sequence[Site], now: datetime) -> dict[str, tuple[DayBar, ...]]:
        today = now.astimezone(self._zone).date()
        days = [today - timedelta(days=offset) for offset in range(BAR_DAYS - 1, -1, -1)]
        start = _day_start(days[0], self._zone)
        ids = [site.id for site in sites]
        outages = self._repo.outages(ids, start, now)
        segments = self._segments_so_far(ids, outages, start, now)
        windows = [w for w in self._repo.maintenance(start) if not w.cancelled]
        first = self._repo.first_checks(ids, start)
        bars = {}
        for site_id in ids:
            own = [s for s in segments if s.site == site_id]
            own_windows = [(w.start, w.end) for w in windows if w.covers(site_id)]
            bars[site_id] = tuple(
                self._day_bar(day, own, own_windows, first.get(site_id), now) for day in days
            )
        return bars

    def _day_bar(
        self,
        day: date,
        segments: list[Segment],
        windows: list[tuple[datetime, datetime]],
        first_check: datetime | None,
        now: datetime,
    ) -> DayBar:
        start = _day_start(day, self._zone)
        end = min(_day_start(day + timedelta(days=1), self._zone), now)
        if first_check is not None:
            start = max(start, first_check)
        if first_check is None or end <= start:
            return DayBar(day, 0.0, 0.0, 0.0, None)

        # Most days have no outage and no window: skip the interval arithmetic for them.
        touching = [seg for seg in segments if seg.start < end and seg.end > start]
        windows = [w for w in windows if w[0] < end and w[1] > start]

        def minutes(label: str) -> float:
            spans = [(seg.start, seg.end) for seg in touching if seg.label == label]
            return clip_minutes(spans, start, end) if spans else 0.0

        total = (end - start).total_seconds() / 60
        maintenance = clip_minutes(windows, start, end) if windows else 0.0
        downtime = minutes("downtime")
        return DayBar(
            day=day,
            downtime_minutes=downtime,
            maintenance_minutes=maintenance,
            excluded_minutes=minutes("excluded"),
            availability_pct=availability_pct(total, maintenance, downtime),
        )


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _outage_views(
    outages: list[Outage], segments: list[Segment], now: datetime
) -> list[OutageView]:
    views = []
    for outage in sorted(outages, key=lambda o: o.start, reverse=True):
        own = [s for s in segments if s.outage_id == outage.id]
        by_label: dict[str, float] = {}
        for segment in own:
            minutes = (segment.end - segment.start).total_seconds() / 60
            by_label[segment.label] = by_label.get(segment.label, 0.0) + minutes
        reasons = tuple(sorted({s.reason for s in own if s.reason}))
        end = outage.end or now
        duration = max(0.0, (end - outage.start).total_seconds() / 60)
        views.append(OutageView(outage, duration, by_label, reasons))
    return views


def _outage_entry(outage: Outage, names: dict[str, str], now: datetime) -> FeedEntry:
    name = names.get(outage.site, outage.site)
    if outage.end is None:
        title = f"Outage: {name} is down"
        summary = f"{name} has been unreachable since {outage.start:%Y-%m-%d %H:%M} UTC."
    else:
        minutes = (outage.end - outage.start).total_seconds() / 60
        title = f"Resolved: {name} was down for {minutes:.0f} min"
        summary = (
            f"{name} was unreachable from {outage.start:%Y-%m-%d %H:%M} to "
            f"{outage.end:%Y-%m-%d %H:%M} UTC ({outage.classification})."
        )
    return FeedEntry(
        id=f"outage/{outage.id}",
        title=title,
        updated=outage.end or outage.start,
        published=outage.start,
        summary=summary,
        path=f"/sites/{outage.site}",
    )


def _maintenance_entry(
    event: MaintenanceEvent, kind: MaintenanceKind, sites: list[Site]
) -> FeedEntry:
    names = ", ".join(site.name or site.id for site in sites)
    title = f"{kind.value.capitalize()} maintenance: {event.title or names}"
    summary = (
        f"{event.start:%Y-%m-%d %H:%M} to {event.end:%Y-%m-%d %H:%M} UTC on {names}. {event.impact}"
    ).strip()
    if event.cancelled:
        title = f"Cancelled: {title}"
    return FeedEntry(
        id=f"maintenance/{event.id}",
        title=title,
        updated=event.announced_at,
        published=event.announced_at,
        summary=summary,
        path="/maintenance",
    )
