"""The region's self-check against real local targets."""

from __future__ import annotations

import pytest

from probes.http import new_session
from probes.reference import ReferenceChecker, check_reference_target
from probes.stats import ProbeStats

from .fixtures import closed_port, raw_tcp_server, serve, target_app


async def test_reference_state_follows_the_targets() -> None:
    session = new_session()
    stats = ProbeStats()
    try:
        async with raw_tcp_server() as tcp_port, serve(target_app()) as web_port:
            dead = [f"127.0.0.1:{closed_port()}", "http://nonexistent.invalid/"]
            # any HTTP answer means the network reached it, even a 503
            alive = [f"http://127.0.0.1:{web_port}/status/503", f"127.0.0.1:{tcp_port}"]
            assert await ReferenceChecker([], session, stats).check_round() is None
            all_dead = ReferenceChecker(dead, session, stats, timeout_s=2)
            assert await all_dead.check_round() is False and all_dead.ok is False
            assert stats.registry.get_sample_value("slawatch_probe_reference_ok") == 0
            one_alive = ReferenceChecker([*dead, alive[0]], session, stats, timeout_s=2)
            assert await one_alive.check_round() is True
            assert await ReferenceChecker(alive[1:], session, stats).check_round() is True
            assert stats.registry.get_sample_value("slawatch_probe_reference_ok") == 1
    finally:
        await session.close()


@pytest.mark.parametrize("target", ["1.1.1.1", "ftp://x", "http://", "host:99999"])
def test_bad_reference_targets_are_refused(target: str) -> None:
    with pytest.raises(ValueError):
        check_reference_target(target)
