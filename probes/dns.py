"""DNS prober: resolve the name with the machine's resolver; check the expected values."""

from __future__ import annotations

import asyncio
import socket

from probes.outcome import ErrorKind, ProbeContext, ProbeFailure, ProbeOutcome
from probes.sites import DnsAssertions, Site
from probes.targets import parse_dns_target

_FAMILY = {"A": socket.AF_INET, "AAAA": socket.AF_INET6}


async def probe(site: Site, *, ctx: ProbeContext) -> ProbeOutcome:
    """Resolve ``A``/``AAAA``; every expected value must be among the answers."""
    rules = site.assertions if isinstance(site.assertions, DnsAssertions) else DnsAssertions()
    host = parse_dns_target(site.target)
    ctx.timer.begin("dns")
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, None, family=_FAMILY[rules.record_type], type=socket.SOCK_STREAM
    )
    ctx.timer.end("dns")
    answers = sorted({str(info[4][0]) for info in infos})
    missing = [value for value in rules.expected_values if value not in answers]
    if missing:
        raise ProbeFailure(
            ErrorKind.ASSERTION,
            f"{rules.record_type} answer {answers} lacks expected {missing}",
        )
    return ProbeOutcome(detail=" ".join(answers)[:500])
