"""The worker's table of assigned sites, without Kafka: what a rebalance does to it."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from probes.scheduler import Scheduler
from probes.sites import Site
from probes.stats import ProbeStats
from probes.worker import _SiteTable
from sla.model import CheckResult

from .test_scheduler import START, FakeChecks, VirtualClock

P0 = TopicPartition("sites", 0)


def entry(site_id: str) -> tuple[bytes, bytes]:
    site = Site(id=site_id, client="c", kind="tcp", target="127.0.0.1:1", interval_s=5)
    return site_id.encode(), site.model_dump_json().encode()


async def test_an_entry_fetched_before_a_revoke_is_not_applied_after_it() -> None:
    """getmany may hand over a batch fetched before the revoke once the revoke has run: the
    partition can be another worker's by then, so its sites must not start here."""
    clock = VirtualClock(START)
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=100)
    scheduler = Scheduler(FakeChecks(clock), buffer, ProbeStats(), clock)
    table = _SiteTable("eu-west", scheduler)
    table.assign({P0})
    assert table.apply(P0, *entry("shop")) is None
    assert scheduler.site_ids == {"shop"}
    table.drop({P0})  # revoked
    assert scheduler.site_ids == set()
    assert table.apply(P0, *entry("api")) is None  # the stale batch: ignored
    assert scheduler.site_ids == set()
    table.assign({P0})  # ours again: read from the beginning
    table.apply(P0, *entry("shop"))
    table.apply(P0, *entry("api"))
    assert scheduler.site_ids == {"shop", "api"}
    await scheduler.stop()
