"""A synthetic alert-engine state for many sites (for the snapshot size and restore tests).

Every site carries a burn span (the state's per-site bulk); one site in ten also a ledger
row, one in twenty an open outage with a firing page: about twice the bytes per site
the pipeline benchmark's engine held (1,137,033 bytes for 10,000 sites). Figures vary per
site (a seeded random generator) so compression is not flattered by identical rows.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sla import burnrate
from sla.alerts import Episode
from sla.model import AlertSeverity, LedgerRow
from slawatch.alerting.evaluator import EngineState, OpenOutage

T0 = datetime(2026, 4, 21, 12, 0, tzinfo=UTC)


def large_state(sites: int, seed: int = 7) -> EngineState:
    """An engine state for ``sites`` sites (with offsets, so a restore can be checked)."""
    rng = random.Random(seed)
    state = EngineState(offsets={"outages:0": sites, "ledger:0": 3 * sites})
    for n in range(sites):
        site = f"site-{n:06d}-{rng.getrandbits(32):08x}"
        start = T0 - timedelta(seconds=rng.randrange(3 * 86400))
        outage_id = f"{site}|{start.isoformat()}"
        state.burn[site] = burnrate.BurnState(
            spans={outage_id: burnrate.DowntimeSpan(start=start, end=start + timedelta(minutes=3))}
        )
        if n % 10 == 0:
            state.ledger[site] = ledger_row(site, rng)
        if n % 20 == 0:
            state.open_outages[site] = {
                outage_id: OpenOutage(start=start, client=f"client-{n % 97}", regions=["eu", "us"])
            }
            episode_id = f"site-down|{site}|{start.isoformat()}"
            state.book.open[episode_id] = Episode(
                id=episode_id,
                rule="site-down",
                severity=AlertSeverity.PAGE,
                subject=site,
                site=site,
                client=f"client-{n % 97}",
                summary=f"{site} is down in eu, us",
                starts_at=start,
                last_seen=T0,
            )
    return state


def ledger_row(site: str, rng: random.Random) -> LedgerRow:
    """A month's ledger row with figures drawn from ``rng``."""
    down = rng.uniform(0, 90)
    return LedgerRow(
        site=site,
        month="2026-04",
        total_minutes=43200.0,
        maintenance_minutes=rng.choice([0.0, 60.0, 120.0]),
        downtime_minutes=down,
        excluded_minutes=rng.uniform(0, 5),
        availability_pct=100 - down / 432,
        target_pct=99.9,
        met=down < 43.2,
        budget_left_minutes=43.2 - down,
        version=rng.randrange(1, 5000),
        computed_at=T0 - timedelta(seconds=rng.randrange(600)),
    )
