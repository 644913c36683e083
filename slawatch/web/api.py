"""The JSON shapes of the API (``/api/v1``): the same data as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from probes.sites import Client
from slawatch.web import format as fmt
from slawatch.web.repository import RegionCheck, ResponsePoint
from slawatch.web.service import DayBar, MaintenanceView, OutageView, SiteDetail, SiteSummary

Json = dict[str, Any]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def day_json(bar: DayBar) -> Json:
    """One day of the 90-day bar."""
    return {
        "date": bar.day.isoformat(),
        "availability_pct": bar.availability_pct,
        "downtime_minutes": bar.downtime_minutes,
        "maintenance_minutes": bar.maintenance_minutes,
        "excluded_minutes": bar.excluded_minutes,
    }


def live_json(summary: SiteSummary) -> Json:
    """The small, often-polled part of a site: state and this month's availability so far."""
    month = summary.month
    availability = month.availability_pct if month else None
    return {
        "id": summary.site.id,
        "state": summary.state.value,
        "state_label": fmt.STATE_LABELS[summary.state],
        "since": _time(summary.since),
        "availability_pct": availability,
        "availability_text": fmt.pct(availability),
        "met": month.met if month else None,
        "met_text": fmt.met(month.met if month else None),
        "includes_ongoing_outage": bool(month and month.includes_ongoing),
    }


def summary_json(summary: SiteSummary, target_pct: float) -> Json:
    """A site as listed on an overview."""
    ledger = summary.ledger
    return {
        **live_json(summary),
        "name": summary.site.name or summary.site.id,
        "client": summary.site.client,
        "target_pct": target_pct,
        "month": None if ledger is None else ledger.month,
        "budget_left_minutes": None if summary.month is None else summary.month.budget_left_minutes,
        "days": [day_json(bar) for bar in summary.days],
    }


def _outage_json(view: OutageView) -> Json:
    outage = view.outage
    return {
        "id": outage.id,
        "state": outage.state.value,
        "start": _time(outage.start),
        "end": _time(outage.end),
        "duration_minutes": view.duration_minutes,
        "classification": outage.classification,
        "minutes_by_label": view.minutes_by_label,
        "exclusion_reasons": list(view.exclusion_reasons),
        "regions_down": outage.regions_down,
    }


def region_json(check: RegionCheck) -> Json:
    """The latest check from one region."""
    return {
        "region": check.region,
        "outcome": check.outcome.value,
        "checked_at": _time(check.started_at),
        "error_kind": check.error_kind,
        "total_ms": check.total_ms,
    }


def _point_json(point: ResponsePoint) -> Json:
    return {
        "region": point.region,
        "from": _time(point.bucket_start),
        "p50_ms": point.p50_ms,
        "p95_ms": point.p95_ms,
        "checks": point.checks,
    }


def maintenance_json(view: MaintenanceView) -> Json:
    """A maintenance window with its kind, listing only the sites the reader may see."""
    event = view.event
    return {
        "id": event.id,
        "title": event.title,
        "kind": view.kind.value,
        "ongoing": view.ongoing,
        "start": _time(event.start),
        "end": _time(event.end),
        "announced_at": _time(event.announced_at),
        "notice_business_days": view.notice_business_days,
        "impact": event.impact,
        "sites": [site.id for site in view.sites],
    }


def detail_json(detail: SiteDetail, target_pct: float) -> Json:
    """Everything the site page shows."""
    ledger = detail.summary.ledger
    return {
        **summary_json(detail.summary, target_pct),
        "ledger": None if ledger is None else ledger.model_dump(mode="json"),
        "outages": [_outage_json(view) for view in detail.outages],
        "regions": [region_json(check) for check in detail.regions],
        "response_times": [_point_json(point) for point in detail.response_times],
        "maintenance": [maintenance_json(view) for view in detail.maintenance],
    }


def client_json(client: Client) -> Json:
    """A client's public face (never its token or contacts)."""
    return {"id": client.id, "name": client.name or client.id}


def envelope(generated_at: datetime, **payload: Any) -> Json:
    """Every answer carries the instant it was computed."""
    return {"generated_at": _time(generated_at), **payload}
