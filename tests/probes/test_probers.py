"""Component tests: each prober through the runner against real local servers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from probes.http import new_session
from probes.outcome import ProbeContext, ProbeOutcome
from probes.runner import CheckRunner
from sla.model import CheckResult, Outcome

from .fixtures import (
    closed_port,
    raw_tcp_server,
    self_signed_cert,
    serve,
    server_ssl_context,
    site,
    target_app,
)

SLOT = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


@pytest.fixture
async def runner() -> AsyncIterator[CheckRunner]:
    session = new_session()
    yield CheckRunner(region="test-region", worker="w-1", session=session)
    await session.close()


@pytest.fixture
async def web_port() -> AsyncIterator[int]:
    async with serve(target_app()) as port:
        yield port


async def check(runner: CheckRunner, **site_fields: object) -> CheckResult:
    kind = str(site_fields.pop("kind"))
    target = str(site_fields.pop("target"))
    return await runner.run(site(kind, target, **site_fields), SLOT, reference_ok=True)


# --------------------------------------------------------------------------- HTTP


async def test_http_up_with_timings_and_stamps(runner: CheckRunner, web_port: int) -> None:
    result = await check(runner, kind="http", target=f"http://127.0.0.1:{web_port}/ok")
    assert result.outcome is Outcome.UP, result.error_detail
    assert (result.status_code, result.error_kind) == (200, None)
    assert (result.site, result.client, result.region, result.worker) == (
        "http-site",
        "acme",
        "test-region",
        "w-1",
    )
    assert result.scheduled_at == SLOT and result.reference_ok is True
    timings = result.timings
    assert timings.connect_ms is not None and timings.first_byte_ms is not None
    assert 0 < timings.connect_ms <= timings.first_byte_ms <= (timings.total_ms or 0)


async def test_http_resolves_the_name_each_time(runner: CheckRunner, web_port: int) -> None:
    result = await check(runner, kind="http", target=f"http://localhost:{web_port}/ok")
    assert result.outcome is Outcome.UP, result.error_detail
    assert result.timings.dns_ms is not None and result.timings.dns_ms >= 0


async def test_http_unexpected_status_is_down(runner: CheckRunner, web_port: int) -> None:
    result = await check(runner, kind="http", target=f"http://127.0.0.1:{web_port}/status/503")
    assert (result.outcome, result.error_kind, result.status_code) == (
        Outcome.DOWN,
        "http_status",
        503,
    )


async def test_http_expected_status_list_accepts_404(runner: CheckRunner, web_port: int) -> None:
    result = await check(
        runner,
        kind="http",
        target=f"http://127.0.0.1:{web_port}/status/404",
        assertions={"kind": "http", "expected_status": [404]},
    )
    assert result.outcome is Outcome.UP


@pytest.mark.parametrize(
    ("rules", "error_kind", "detail"),
    [
        ({"body_contains": "operational"}, None, None),
        ({"body_contains": "maintenance"}, "assertion", "body does not contain 'maintenance'"),
        ({"body_regex": r"all \w+ operational"}, None, None),
        ({"body_regex": r"^down"}, "assertion", "body does not match /^down/"),
    ],
)
async def test_http_body_rules(
    runner: CheckRunner,
    web_port: int,
    rules: dict[str, str],
    error_kind: str | None,
    detail: str | None,
) -> None:
    result = await check(
        runner,
        kind="http",
        target=f"http://127.0.0.1:{web_port}/ok",
        assertions={"kind": "http", **rules},
    )
    assert (result.error_kind, result.error_detail) == (error_kind, detail)
    assert result.outcome is (Outcome.DOWN if error_kind else Outcome.UP)


@pytest.mark.parametrize(
    ("rules", "detail"),
    [
        ({"json_field": "status.db", "json_equals": "ok"}, None),
        ({"json_field": "version", "json_equals": 7}, None),
        ({"json_field": "status.queue"}, None),
        (
            {"json_field": "status.queue", "json_equals": "ok"},
            'JSON field \'status.queue\' is "lagging", expected "ok"',
        ),
        ({"json_field": "status.cache"}, "JSON field 'status.cache' is missing"),
    ],
)
async def test_http_json_field(
    runner: CheckRunner, web_port: int, rules: dict[str, object], detail: str | None
) -> None:
    result = await check(
        runner,
        kind="http",
        target=f"http://127.0.0.1:{web_port}/json",
        assertions={"kind": "http", **rules},
    )
    assert result.error_detail == detail
    assert result.error_kind == ("assertion" if detail else None)


async def test_http_json_field_on_non_json_body(runner: CheckRunner, web_port: int) -> None:
    result = await check(
        runner,
        kind="http",
        target=f"http://127.0.0.1:{web_port}/ok",
        assertions={"kind": "http", "json_field": "status"},
    )
    assert (result.error_kind, result.error_detail) == ("assertion", "body is not JSON")


async def test_http_slow_answer_is_degraded(runner: CheckRunner, web_port: int) -> None:
    result = await check(
        runner,
        kind="http",
        target=f"http://127.0.0.1:{web_port}/slow?s=0.3",
        assertions={"kind": "http", "degraded_above_ms": 100},
    )
    assert result.outcome is Outcome.DEGRADED and result.error_kind is None
    assert (result.timings.total_ms or 0) >= 300


async def test_http_too_slow_is_a_timeout(runner: CheckRunner, web_port: int) -> None:
    started = time.perf_counter()
    result = await check(
        runner, kind="http", target=f"http://127.0.0.1:{web_port}/slow?s=5", timeout_s=0.3
    )
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "timeout")
    assert result.error_detail is not None and "0.3 s" in result.error_detail
    assert time.perf_counter() - started < 3  # 0.3 s + a loaded machine's slack


async def test_http_connection_reset(runner: CheckRunner, web_port: int) -> None:
    result = await check(runner, kind="http", target=f"http://127.0.0.1:{web_port}/reset")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "reset"), result.error_detail


async def test_http_endless_body_is_cut_at_max_body_bytes(
    runner: CheckRunner, web_port: int
) -> None:
    started = time.perf_counter()
    result = await check(
        runner,
        kind="http",
        target=f"http://127.0.0.1:{web_port}/endless",
        assertions={"kind": "http", "max_body_bytes": 200_000},
    )
    assert (result.error_kind, result.status_code) == ("body_too_large", 200)
    assert result.error_detail == "body exceeds max_body_bytes=200000"
    assert time.perf_counter() - started < 5  # bounded, not hanging on an endless body


async def test_http_huge_body_is_refused(runner: CheckRunner, web_port: int) -> None:
    result = await check(runner, kind="http", target=f"http://127.0.0.1:{web_port}/huge")
    assert result.error_kind == "body_too_large"


async def test_http_dribbling_endless_body_hits_the_timeout(
    runner: CheckRunner, web_port: int
) -> None:
    result = await check(
        runner, kind="http", target=f"http://127.0.0.1:{web_port}/dribble", timeout_s=0.4
    )
    assert result.error_kind == "timeout"
    assert result.error_detail is not None and "phase body" in result.error_detail
    assert result.timings.first_byte_ms is not None


async def test_http_refused(runner: CheckRunner) -> None:
    result = await check(runner, kind="http", target=f"http://127.0.0.1:{closed_port()}/")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "connect")


async def test_http_unresolvable_name(runner: CheckRunner) -> None:
    result = await check(runner, kind="http", target="http://nonexistent.invalid/")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "dns")


async def test_http_not_http_is_a_protocol_error(runner: CheckRunner) -> None:
    async with raw_tcp_server(b"SSH-2.0-OpenSSH_9.6\r\n\r\n") as port:
        result = await check(runner, kind="http", target=f"http://127.0.0.1:{port}/")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "protocol")
    assert result.error_detail is not None and "Bad status line" in result.error_detail
    assert "\n" not in result.error_detail  # one line, always


async def test_http_body_shorter_than_announced_is_a_reset(runner: CheckRunner) -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"
    async with raw_tcp_server(reply) as port:
        result = await check(runner, kind="http", target=f"http://127.0.0.1:{port}/")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "reset"), result.error_detail
    assert result.error_detail is not None and "received 5 of 100 bytes" in result.error_detail


async def test_http_closed_without_answer_is_a_reset(runner: CheckRunner) -> None:
    async with raw_tcp_server() as port:
        result = await check(runner, kind="http", target=f"http://127.0.0.1:{port}/")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "reset"), result.error_detail


async def test_https_to_a_self_signed_certificate_fails_verification(
    runner: CheckRunner, tmp_path: Path
) -> None:
    cert, key = self_signed_cert(tmp_path, valid_days=30)
    async with serve(target_app(), server_ssl_context(cert, key)) as port:
        result = await check(runner, kind="http", target=f"https://127.0.0.1:{port}/ok")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "tls")
    assert result.error_detail is not None and "certificate" in result.error_detail.lower()


# --------------------------------------------------------------------------- TLS


@pytest.fixture
async def expiring_tls_port(tmp_path: Path) -> AsyncIterator[int]:
    cert, key = self_signed_cert(tmp_path, valid_days=1.5)
    async with serve(target_app(), server_ssl_context(cert, key)) as port:
        yield port


async def test_tls_certificate_about_to_expire(runner: CheckRunner, expiring_tls_port: int) -> None:
    result = await check(
        runner,
        kind="tls",
        target=f"127.0.0.1:{expiring_tls_port}",
        assertions={"kind": "tls", "verify": False, "min_days_before_expiry": 14},
    )
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "cert_expiry")
    assert result.error_detail is not None
    assert result.error_detail.startswith("certificate expires in 1.5 days")
    assert result.error_detail.endswith("14 days required")
    assert result.timings.tls_ms is not None and result.timings.connect_ms is not None


async def test_tls_certificate_with_enough_days_left(
    runner: CheckRunner, expiring_tls_port: int
) -> None:
    result = await check(
        runner,
        kind="tls",
        target=f"localhost:{expiring_tls_port}",
        assertions={"kind": "tls", "verify": False, "min_days_before_expiry": 1},
    )
    assert result.outcome is Outcome.UP, result.error_detail
    assert result.error_detail is not None and result.error_detail.startswith(
        "certificate valid 1.5"
    )


async def test_tls_verification_rejects_self_signed(
    runner: CheckRunner, expiring_tls_port: int
) -> None:
    result = await check(runner, kind="tls", target=f"localhost:{expiring_tls_port}")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "tls")


async def test_tls_against_plain_tcp(runner: CheckRunner, web_port: int) -> None:
    result = await check(
        runner,
        kind="tls",
        target=f"127.0.0.1:{web_port}",
        assertions={"kind": "tls", "verify": False},
    )
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "tls"), result.error_detail


# --------------------------------------------------------------------------- TCP


async def test_tcp_listener_is_up(runner: CheckRunner) -> None:
    async with raw_tcp_server() as port:
        result = await check(runner, kind="tcp", target=f"localhost:{port}")
    assert result.outcome is Outcome.UP, result.error_detail
    assert result.timings.dns_ms is not None and result.timings.connect_ms is not None


async def test_tcp_closed_port_is_down(runner: CheckRunner) -> None:
    result = await check(runner, kind="tcp", target=f"127.0.0.1:{closed_port()}")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "connect")


async def test_tcp_unresolvable(runner: CheckRunner) -> None:
    result = await check(runner, kind="tcp", target="nonexistent.invalid:80")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "dns")


# --------------------------------------------------------------------------- DNS


async def test_dns_localhost(runner: CheckRunner) -> None:
    result = await check(
        runner,
        kind="dns",
        target="localhost",
        assertions={"kind": "dns", "expected_values": ["127.0.0.1"]},
    )
    assert result.outcome is Outcome.UP, result.error_detail
    assert result.error_detail is not None and "127.0.0.1" in result.error_detail
    assert result.timings.dns_ms is not None


async def test_dns_unexpected_answer(runner: CheckRunner) -> None:
    result = await check(
        runner,
        kind="dns",
        target="localhost",
        assertions={"kind": "dns", "expected_values": ["192.0.2.1"]},
    )
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "assertion")
    assert result.error_detail == "A answer ['127.0.0.1'] lacks expected ['192.0.2.1']"


async def test_dns_nonexistent_name(runner: CheckRunner) -> None:
    result = await check(runner, kind="dns", target="nonexistent.invalid")
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "dns")


# --------------------------------------------------------------------------- runner


async def test_a_crashing_prober_is_an_internal_result_not_a_crash() -> None:
    async def broken(_site: object, *, ctx: ProbeContext) -> ProbeOutcome:
        raise KeyError("bug")

    runner = CheckRunner(region="r", worker="w", session=None, probers={"tcp": broken})
    result = await runner.run(site("tcp", "127.0.0.1:1"), SLOT)
    assert (result.outcome, result.error_kind) == (Outcome.DOWN, "internal")
    assert result.error_detail == "KeyError: 'bug'"
    assert result.reference_ok is None


async def test_timeout_never_exceeds_the_interval() -> None:
    async def hang(_site: object, *, ctx: ProbeContext) -> ProbeOutcome:
        await asyncio.sleep(60)
        return ProbeOutcome()

    runner = CheckRunner(region="r", worker="w", session=None, probers={"tcp": hang})
    started = time.perf_counter()
    result = await runner.run(site("tcp", "127.0.0.1:1", interval_s=1, timeout_s=30), SLOT)
    assert result.error_kind == "timeout"
    assert 0.85 < time.perf_counter() - started < 2.5  # 90 % of the 1 s interval, + slack
