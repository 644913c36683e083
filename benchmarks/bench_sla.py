"""The contract's arithmetic on realistic volumes: intervals, one site-month, a whole report.

Figures: microseconds per ``compute_site_month`` (what the stream calls on every change),
milliseconds to normalise/subtract 10 000 intervals, and the time to parse and report a
month's events file for 200 sites.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sla.availability import compute_site_month
from sla.contract import Contract
from sla.events import parse_events
from sla.intervals import Interval, normalize, subtract
from sla.report import build_report

MONTH_START = datetime(2026, 1, 1, tzinfo=UTC)


def _spans(rng: random.Random, count: int, max_minutes: int) -> list[Interval]:
    spans = []
    for _ in range(count):
        start = MONTH_START + timedelta(seconds=rng.randrange(31 * 86_400))
        spans.append(
            Interval(start, start + timedelta(seconds=rng.randrange(60, max_minutes * 60)))
        )
    return spans


def _best_of(repeat: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def _events_file(rng: random.Random, sites: int) -> list[str]:
    lines = []
    for n in range(sites):
        for span in _spans(rng, 20, 30):
            lines.append(
                json.dumps(
                    {
                        "type": "outage",
                        "site": f"s{n}",
                        "start": span.start.isoformat(),
                        "end": span.end.isoformat(),
                    }
                )
            )
        for k, span in enumerate(_spans(rng, 2, 120)):
            lines.append(
                json.dumps(
                    {
                        "type": "maintenance",
                        "id": f"m{n}-{k}",
                        "sites": [f"s{n}"],
                        "start": span.start.isoformat(),
                        "end": span.end.isoformat(),
                        "announced_at": "2025-12-01T10:00:00Z",
                    }
                )
            )
        for span in _spans(rng, 3, 20):
            lines.append(
                json.dumps(
                    {
                        "type": "exclusion",
                        "site": f"s{n}",
                        "start": span.start.isoformat(),
                        "end": span.end.isoformat(),
                        "reason": "client_isp",
                    }
                )
            )
    return lines


def run() -> dict[str, Any]:
    """Measure and return the figures."""
    rng = random.Random(7)
    contract = Contract()
    many, cuts = _spans(rng, 10_000, 60), _spans(rng, 10_000, 60)
    outages, maintenance, exclusions = (
        _spans(rng, 100, 30),
        _spans(rng, 10, 120),
        _spans(rng, 10, 20),
    )
    calls = 200
    per_call = (
        _best_of(
            3,
            lambda: [
                compute_site_month(contract, "s", "2026-01", outages, maintenance, exclusions)
                for _ in range(calls)
            ],
        )
        / calls
    )
    lines = _events_file(rng, 200)
    parse_s = _best_of(3, lambda: parse_events(lines))
    events = parse_events(lines)
    report_s = _best_of(3, lambda: build_report(contract, events, "2026-01"))
    return {
        "normalize_10k_intervals_ms": round(_best_of(5, lambda: normalize(many)) * 1000, 2),
        "subtract_10k_from_10k_ms": round(_best_of(5, lambda: subtract(many, cuts)) * 1000, 2),
        "compute_site_month_us": round(per_call * 1e6, 1),
        "compute_site_month_inputs": "100 outages, 10 maintenance windows, 10 exclusions",
        "events_lines": len(lines),
        "parse_events_ms": round(parse_s * 1000, 1),
        "build_report_200_sites_ms": round(report_s * 1000, 1),
    }
