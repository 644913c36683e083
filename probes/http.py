"""HTTP(S) prober: one request on a fresh connection, bounded body, per-site assertions."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import aiohttp

from probes.outcome import ErrorKind, ProbeContext, ProbeFailure, ProbeOutcome
from probes.sites import HttpAssertions, Site
from probes.targets import parse_http_target

_CHUNK = 64 * 1024
USER_AGENT = "slawatch-probe/1"
_HEADERS = {"User-Agent": USER_AGENT}
# The rules of a site without assertions; models are frozen, so one instance serves all
# (building one per check validated a 200-element status list every time).
_DEFAULT_RULES = HttpAssertions()
# Targets were validated when the site was loaded; parsing one again on every check (URL,
# then the host as an IP address or a name) is a few µs each time for the same answer.
# Bounded, so that a long-running worker whose sites keep changing does not grow forever.
_target_url = functools.lru_cache(maxsize=100_000)(parse_http_target)


async def probe(site: Site, *, ctx: ProbeContext) -> ProbeOutcome:
    """GET (or HEAD/POST) the target and check status, body and JSON field."""
    rules = site.assertions if isinstance(site.assertions, HttpAssertions) else _DEFAULT_RULES
    if ctx.session is None:
        raise RuntimeError("the HTTP prober needs a session (see probes.http.new_session)")
    url = _target_url(site.target)
    async with ctx.session.request(
        rules.method, url, trace_request_ctx=ctx.timer, headers=_HEADERS
    ) as response:
        body = b"" if rules.method == "HEAD" else await read_bounded(response, rules.max_body_bytes)
    if response.status not in rules.expected_status:
        raise ProbeFailure(
            ErrorKind.HTTP_STATUS,
            f"status {response.status} is not an expected status",
            status_code=response.status,
        )
    _check_body(rules, body, response.status)
    return ProbeOutcome(status_code=response.status)


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, but never more than ``limit`` bytes in memory (endless bodies stop here)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ProbeFailure(
                ErrorKind.BODY_TOO_LARGE,
                f"body exceeds max_body_bytes={limit}",
                status_code=response.status,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _check_body(rules: HttpAssertions, body: bytes, status: int) -> None:
    text = body.decode("utf-8", errors="replace")
    if rules.body_contains is not None and rules.body_contains not in text:
        raise ProbeFailure(
            ErrorKind.ASSERTION, f"body does not contain {rules.body_contains!r}", status
        )
    if rules.body_regex is not None and not re.search(rules.body_regex, text):
        raise ProbeFailure(ErrorKind.ASSERTION, f"body does not match /{rules.body_regex}/", status)
    if rules.json_field is not None:
        _check_json_field(rules.json_field, rules.json_equals, text, status)


def _check_json_field(path: str, expected: Any, text: str, status: int) -> None:
    try:
        value: Any = json.loads(text)
    except ValueError:
        raise ProbeFailure(ErrorKind.ASSERTION, "body is not JSON", status) from None
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise ProbeFailure(ErrorKind.ASSERTION, f"JSON field {path!r} is missing", status)
    if expected is not None and value != expected:
        raise ProbeFailure(
            ErrorKind.ASSERTION,
            f"JSON field {path!r} is {json.dumps(value)[:200]}, expected {json.dumps(expected)}",
            status,
        )


def timing_trace_config() -> aiohttp.TraceConfig:
    """Trace hooks that fill the :class:`~probes.outcome.PhaseTimer` passed as request ctx.

    aiohttp reports the TCP connect and the TLS handshake as one "connection create"
    phase, so for ``https`` targets ``connect_ms`` includes the handshake.
    """
    trace = aiohttp.TraceConfig()
    trace.on_dns_resolvehost_start.append(_dns_start)
    trace.on_dns_resolvehost_end.append(_dns_end)
    trace.on_connection_create_start.append(_connect_start)
    trace.on_connection_create_end.append(_connect_end)
    trace.on_request_end.append(_first_byte)
    return trace


# One plain coroutine per hook: they run several times per check, so no name lookups.
async def _dns_start(_session: Any, ctx: Any, _params: Any) -> None:
    if ctx.trace_request_ctx is not None:
        ctx.trace_request_ctx.begin("dns")


async def _dns_end(_session: Any, ctx: Any, _params: Any) -> None:
    if ctx.trace_request_ctx is not None:
        ctx.trace_request_ctx.end("dns")


async def _connect_start(_session: Any, ctx: Any, _params: Any) -> None:
    if ctx.trace_request_ctx is not None:
        ctx.trace_request_ctx.begin("connect")


async def _connect_end(_session: Any, ctx: Any, _params: Any) -> None:
    if ctx.trace_request_ctx is not None:
        ctx.trace_request_ctx.end("connect")


async def _first_byte(_session: Any, ctx: Any, _params: Any) -> None:
    if ctx.trace_request_ctx is not None:
        ctx.trace_request_ctx.first_byte()


def new_session() -> aiohttp.ClientSession:
    """A session whose every request opens a fresh connection and resolves the name again.

    No cookies are kept and no timeout is set here: the runner owns the timeout.
    """
    connector = aiohttp.TCPConnector(force_close=True, limit=0, use_dns_cache=False)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),
        trace_configs=[timing_trace_config()],
        auto_decompress=True,
    )
