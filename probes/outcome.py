"""What a prober hands back to the runner: an outcome, phase timings, or a failure.

Probers raise :class:`ProbeFailure` for a verdict they reach themselves (wrong status,
failed assertion, body too large, certificate about to expire); any other exception is
classified by the runner (:func:`probes.runner.classify`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import aiohttp


class ErrorKind(StrEnum):
    """Why a check failed (``CheckResult.error_kind``)."""

    DNS = "dns"  # the name did not resolve
    CONNECT = "connect"  # TCP connect refused / unreachable
    TLS = "tls"  # handshake or certificate verification failed
    CERT_EXPIRY = "cert_expiry"  # certificate valid for fewer days than required
    TIMEOUT = "timeout"  # no complete answer within the site's timeout
    RESET = "reset"  # the peer closed or reset the connection mid-exchange
    PROTOCOL = "protocol"  # not a valid HTTP answer, too many redirects
    HTTP_STATUS = "http_status"  # status code not in expected_status
    ASSERTION = "assertion"  # body keyword / regex / JSON field / DNS values
    BODY_TOO_LARGE = "body_too_large"  # more than max_body_bytes
    INTERNAL = "internal"  # a bug in slawatch: the check could not be judged


class ProbeFailure(Exception):
    """A check that reached a verdict of ``down`` for a known reason."""

    def __init__(self, kind: ErrorKind, detail: str, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status_code = status_code


@dataclass
class ProbeOutcome:
    """A successful check (the runner decides ``up`` or ``degraded`` from the timings)."""

    status_code: int | None = None
    detail: str | None = None


@dataclass
class PhaseTimer:
    """Phase durations of one check, in ms, measured on the monotonic clock."""

    started: float = field(default_factory=time.perf_counter)
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    reached: str = "start"  # last phase begun: tells where a timeout struck
    _open: dict[str, float] = field(default_factory=dict)

    def begin(self, phase: str) -> None:
        """Mark the start of ``phase`` (dns, connect, tls)."""
        self._open[phase] = time.perf_counter()
        self.reached = phase

    def end(self, phase: str) -> None:
        """Record the duration of ``phase``; the first occurrence wins (redirects repeat)."""
        begun = self._open.pop(phase, None)
        if begun is not None and getattr(self, f"{phase}_ms") is None:
            setattr(self, f"{phase}_ms", (time.perf_counter() - begun) * 1000)

    def first_byte(self) -> None:
        """The answer's first bytes (HTTP: the status line and headers) arrived."""
        if self.first_byte_ms is None:
            self.first_byte_ms = self.elapsed_ms()
        self.reached = "body"

    def elapsed_ms(self) -> float:
        """Milliseconds since the check started."""
        return (time.perf_counter() - self.started) * 1000


@dataclass
class ProbeContext:
    """Everything a prober may use: the HTTP session, the phase timer, the check's start time."""

    session: aiohttp.ClientSession | None
    timer: PhaseTimer
    now: datetime
