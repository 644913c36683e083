"""The live summary `slawatch run` prints and `slawatch status` shows: one glance at the pipeline.

Sites up/down and the month's availability come from the store (the same deduplicated
tables the status page reads), results per second from the probe workers' counters, and
consumer lag from Kafka (end offsets minus the group's committed offsets).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger("slawatch.run")

_STATES_SQL = """
SELECT site, toString(argMax(state, version)) FROM site_status GROUP BY site
"""
_LEDGER_SQL = """
SELECT site, argMax(availability_pct, version), argMax(budget_left_minutes, version),
       argMax(met, version)
FROM ledger WHERE month = {month:String} GROUP BY site ORDER BY site
"""
_OUTAGES_SQL = """
SELECT id, site, toString(state), start, `end`, classification
FROM outages FINAL ORDER BY start
"""


@dataclass
class SiteFigures:
    """One site's line in the summary."""

    site: str
    state: str = "unknown"
    availability_pct: float | None = None
    budget_left_minutes: float | None = None
    met: bool | None = None


@dataclass
class Summary:
    """What the pipeline is doing right now."""

    at: str
    month: str
    sites: list[SiteFigures] = field(default_factory=list)
    results_per_s: float = 0.0
    lag: dict[str, int | None] = field(default_factory=dict)
    status_page: str = ""

    def counts(self) -> dict[str, int]:
        """How many sites are in each state."""
        tally: dict[str, int] = {}
        for site in self.sites:
            tally[site.state] = tally.get(site.state, 0) + 1
        return tally

    def line(self) -> str:
        """One line for the terminal."""
        counts = ", ".join(f"{n} {state}" for state, n in sorted(self.counts().items()))
        lag = ", ".join(f"{k} {'?' if v is None else v}" for k, v in self.lag.items())
        worst = [s for s in self.sites if s.availability_pct is not None]
        worst.sort(key=lambda s: s.availability_pct or 0.0)
        avail = "; ".join(f"{s.site} {s.availability_pct:.4f} %" for s in worst[:3]) or "n/a"
        return (
            f"sites {len(self.sites)}: {counts or 'none yet'} | results {self.results_per_s:.1f}/s"
            f" | lag {lag or 'n/a'} | {self.month}: {avail}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the admin API's JSON)."""
        return asdict(self)


def site_figures(client: Any, sites: Iterable[str], month: str) -> list[SiteFigures]:
    """Each configured site's state and month figures, from the store."""
    figures = {s: SiteFigures(s) for s in sites}
    for site, state in client.query(_STATES_SQL).result_rows:
        if site in figures:
            figures[site].state = state
    for site, pct, budget, met in client.query(
        _LEDGER_SQL, parameters={"month": month}
    ).result_rows:
        if site in figures:
            figures[site].availability_pct = pct
            figures[site].budget_left_minutes = budget
            figures[site].met = met
    for site in figures.values():
        if site.state == "unknown" and site.availability_pct is not None:
            site.state = "up"  # a ledger without a status change: never went down
    return sorted(figures.values(), key=lambda s: s.site)


@dataclass(frozen=True)
class OutageLine:
    """An outage as the terminal shows it."""

    id: str
    site: str
    state: str
    start: datetime
    end: datetime | None
    classification: str

    def text(self) -> str:
        """``outage opened: demo-health since 05:31:10 UTC (downtime)``."""
        since = self.start.strftime("%Y-%m-%d %H:%M:%S UTC")
        if self.end is None:
            return f"outage {self.state}: {self.site} down since {since} ({self.classification})"
        minutes = (self.end - self.start).total_seconds() / 60
        return (
            f"outage {self.state}: {self.site} from {since} for {minutes:.1f} min "
            f"({self.classification})"
        )


def outage_lines(client: Any) -> list[OutageLine]:
    """Every outage's latest state, oldest first."""
    return [OutageLine(*row) for row in client.query(_OUTAGES_SQL).result_rows]


async def consumer_lag(bootstrap: str, group: str) -> int | None:
    """Messages the group has not committed yet, over every topic it has offsets for."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        await consumer.start()
        committed: dict[TopicPartition, Any] = await admin.list_consumer_group_offsets(group)
        offsets = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
        if not offsets:
            return None
        ends = await consumer.end_offsets(list(offsets))
        return sum(max(0, ends[tp] - offset) for tp, offset in offsets.items())
    except Exception as exc:  # lag is informative only; never let it stop the summary
        log.debug("lag of %s unavailable: %s", group, exc)
        return None
    finally:
        await consumer.stop()
        await admin.close()
