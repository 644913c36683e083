"""Runs one check: the timeout, the timing, the error classification and the CheckResult.

Nothing a target does can make :meth:`CheckRunner.run` raise: every failure, including a
bug in a prober, becomes a ``down`` result with an ``error_kind``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import aiohttp

from probes.outcome import ErrorKind, PhaseTimer, ProbeContext, ProbeFailure, ProbeOutcome
from probes.registry import PROBERS, Prober
from probes.sites import Site
from sla.model import CheckResult, Outcome, Timings

log = logging.getLogger(__name__)
_DETAIL_MAX = 2000
_RESET_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def utc_now() -> datetime:
    """The wall clock, tz-aware UTC."""
    return datetime.now(UTC)


def classify(exc: BaseException) -> tuple[ErrorKind, str]:
    """The error kind and a one-line detail for an exception a prober let through."""
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    kind = ErrorKind.INTERNAL
    if isinstance(exc, TimeoutError):
        kind = ErrorKind.TIMEOUT
    elif isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        kind = ErrorKind.DNS
    elif isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        kind = ErrorKind.TLS
    elif isinstance(exc, aiohttp.ClientConnectorError | ConnectionRefusedError):
        kind = ErrorKind.CONNECT
    elif _is_reset(exc):
        kind = ErrorKind.RESET
    elif isinstance(exc, aiohttp.ClientResponseError):  # malformed answer, redirect loop
        kind = ErrorKind.PROTOCOL
    elif isinstance(exc, OSError | aiohttp.ClientConnectionError):
        kind = ErrorKind.CONNECT
    return kind, detail


def _is_reset(exc: BaseException) -> bool:
    lost = (
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientPayloadError,
        ConnectionResetError,
        BrokenPipeError,
        asyncio.IncompleteReadError,
    )
    return isinstance(exc, lost) or (isinstance(exc, OSError) and exc.errno in _RESET_ERRNOS)


class CheckRunner:
    """Checks sites for one region and worker, stamping each result with both."""

    def __init__(
        self,
        *,
        region: str,
        worker: str,
        session: aiohttp.ClientSession | None,
        probers: Mapping[str, Prober] = PROBERS,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.region = region
        self.worker = worker
        self.session = session
        self.probers = probers
        self.now = now

    async def run(
        self, site: Site, scheduled_at: datetime, reference_ok: bool | None = None
    ) -> CheckResult:
        """Check ``site`` once (slot ``scheduled_at``); never raises except on cancellation."""
        started_at = self.now()
        timer = PhaseTimer()
        ctx = ProbeContext(session=self.session, timer=timer, now=started_at)
        # a check ends before its next slot is due, so a hanging target never costs a slot
        timeout = min(site.timeout_s, 0.9 * site.interval_s)
        outcome: ProbeOutcome | None = None
        error: tuple[ErrorKind, str] | None = None
        status_code: int | None = None
        try:
            async with asyncio.timeout(timeout):
                outcome = await self.probers[site.kind](site, ctx=ctx)
            status_code = outcome.status_code
        except ProbeFailure as failure:
            error, status_code = (failure.kind, failure.detail), failure.status_code
        except TimeoutError:
            error = (
                ErrorKind.TIMEOUT,
                f"no complete answer within {timeout:g} s (stuck in phase {timer.reached})",
            )
        except Exception as exc:  # every failure is a result, never a crash
            error = classify(exc)
            if error[0] is ErrorKind.INTERNAL:
                log.exception("internal error while checking site %s", site.id)
        total_ms = timer.elapsed_ms()
        verdict = Outcome.DOWN if error else _up_or_degraded(site, total_ms)
        return CheckResult(
            site=site.id,
            client=site.client,
            region=self.region,
            worker=self.worker,
            scheduled_at=scheduled_at,
            started_at=started_at,
            outcome=verdict,
            error_kind=str(error[0]) if error else None,
            error_detail=_clip(error[1] if error else (outcome.detail if outcome else None)),
            status_code=status_code,
            timings=Timings(
                dns_ms=_ms(timer.dns_ms),
                connect_ms=_ms(timer.connect_ms),
                tls_ms=_ms(timer.tls_ms),
                first_byte_ms=_ms(timer.first_byte_ms),
                total_ms=_ms(total_ms),
            ),
            reference_ok=reference_ok,
        )


def _up_or_degraded(site: Site, total_ms: float) -> Outcome:
    threshold = getattr(site.assertions, "degraded_above_ms", None)
    if threshold is not None and total_ms > threshold:
        return Outcome.DEGRADED
    return Outcome.UP


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _clip(text: str | None) -> str | None:
    """One line (whitespace runs collapsed), at most the schema's 2000 characters."""
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"
