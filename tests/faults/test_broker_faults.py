"""Broker faults under the whole flow: nothing a probe published is lost, every stage resumes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from slawatch.kafka_local import LocalKafka
from tests.faults.flow import FlowReport, run_flow

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]


def assert_nothing_lost(report: FlowReport) -> None:
    """Every check published once, every published result stored exactly once."""
    print(f"\n{report}")  # the figures (pytest -s)
    assert report.checks_during_fault > 0, report  # the probes kept checking meanwhile
    assert report.shed == 0, report
    assert report.published == report.checks, report
    assert report.stored == report.stored_ids == report.published, report
    assert report.outage_stored, report  # probes → stream → sink resumed after the fault


async def test_single_broker_killed_and_restarted_loses_nothing(
    kafka_broker: LocalKafka, topic_prefix: str, migrated_clickhouse: Any, tmp_path: Path
) -> None:
    def crash_and_restart() -> None:
        kafka_broker.kill()  # SIGKILL: no controlled shutdown
        kafka_broker.start()  # same ports, same data

    report = await run_flow(
        kafka_broker.bootstrap_servers,
        topic_prefix,
        migrated_clickhouse,
        tmp_path,
        crash_and_restart,
    )
    assert_nothing_lost(report)


async def _leader_of_most(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    leaders = [int(p["leader"]) for p in described["partitions"]]
    return max(set(leaders), key=leaders.count)


HOLD_DEGRADED_S = 5.0


@pytest.mark.slow_faults
async def test_one_of_three_brokers_killed_loses_nothing(
    three_brokers: LocalKafka, topic_prefix: str, migrated_clickhouse: Any, tmp_path: Path
) -> None:
    bootstrap = three_brokers.bootstrap_servers
    killed: list[int] = []

    def kill_a_leader() -> None:
        node = asyncio.run(_leader_of_most(bootstrap, f"{topic_prefix}probe-results"))
        three_brokers.kill(node)  # RF 3, min ISR 2: two nodes keep acks=all working
        killed.append(node)
        # The fault is the cluster running on two nodes: hold it for a few check intervals,
        # so that the probes are seen checking and publishing through it (a SIGKILL alone
        # returns at once).
        time.sleep(HOLD_DEGRADED_S)

    report = await run_flow(
        bootstrap, topic_prefix, migrated_clickhouse, tmp_path, kill_a_leader, replication=3
    )
    assert_nothing_lost(report)
    assert killed and killed[0] not in three_brokers.running_pids()
