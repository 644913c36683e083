"""The demo target fails on its schedule, and only then."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from slawatch.demo import FailureSchedule, create_demo_app


@pytest.mark.parametrize(
    ("elapsed", "failing"),
    [(0, False), (89.9, False), (90, True), (209.9, True), (210, False), (690, True), (810, False)],
)
def test_schedule_fails_in_its_window_each_cycle(elapsed: float, failing: bool) -> None:
    assert FailureSchedule(cycle_s=600, fail_after_s=90, fail_for_s=120).failing(elapsed) is failing


async def test_health_endpoint_follows_the_schedule() -> None:
    now = [1000.0]
    app = create_demo_app(FailureSchedule(60, 10, 5), clock=lambda: now[0], slow_ms=1)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/health")).status == 200
        now[0] += 12
        response = await client.get("/health")
        assert response.status == 503
        assert (await response.json())["status"] == "failing"
        now[0] += 5
        assert (await client.get("/health")).status == 200
        assert (await client.get("/slow")).status == 200


def test_demo_maintenance_covers_the_second_failure_only() -> None:
    from datetime import timedelta

    from slawatch.run import demo_maintenance_window

    schedule = FailureSchedule(cycle_s=600, fail_after_s=90, fail_for_s=120)
    start, end = demo_maintenance_window(schedule)
    assert (start, end) == (timedelta(seconds=660), timedelta(seconds=840))
    # the first failure (90-210 s) is outside it, the second (690-810 s) inside it
    assert end.total_seconds() < schedule.cycle_s + schedule.cycle_s
    assert start.total_seconds() > schedule.fail_after_s + schedule.fail_for_s
    assert start.total_seconds() <= 690 and end.total_seconds() >= 810
