"""Helpers for the sink tests: valid messages to write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla.model import CheckResult, Outcome, Timings

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def check_result(
    site: str = "site-a",
    region: str = "eu",
    at: datetime = T0,
    outcome: Outcome = Outcome.UP,
    total_ms: float | None = 120.0,
    error_kind: str | None = None,
) -> CheckResult:
    """A valid probe result."""
    return CheckResult(
        site=site,
        client="acme",
        region=region,
        worker=f"{region}-1",
        scheduled_at=at,
        started_at=at + timedelta(milliseconds=5),
        outcome=outcome,
        error_kind=error_kind,
        status_code=200 if outcome is Outcome.UP else None,
        timings=Timings(dns_ms=1.0, connect_ms=2.0, total_ms=total_ms),
    )


def results(sites: int, slots: int, regions: tuple[str, ...] = ("eu", "us")) -> list[CheckResult]:
    """``sites × regions × slots`` results every 30 s from T0, one in 10 down."""
    out = []
    for slot in range(slots):
        for s in range(sites):
            for region in regions:
                down = (slot + s) % 10 == 0
                out.append(
                    check_result(
                        site=f"site-{s:03d}",
                        region=region,
                        at=T0 + timedelta(seconds=30 * slot),
                        outcome=Outcome.DOWN if down else Outcome.UP,
                        total_ms=None if down else 100.0 + slot,
                        error_kind="timeout" if down else None,
                    )
                )
    return out
