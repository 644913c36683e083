"""The one mapping from a site's kind to its prober."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from probes import dns, http, tcp, tls
from probes.outcome import ProbeContext, ProbeOutcome
from probes.sites import Site

Prober = Callable[..., Awaitable[ProbeOutcome]]
"""``async def probe(site: Site, *, ctx: ProbeContext) -> ProbeOutcome``"""

PROBERS: Mapping[str, Prober] = MappingProxyType(
    {"http": http.probe, "tcp": tcp.probe, "dns": dns.probe, "tls": tls.probe}
)

__all__ = ["PROBERS", "ProbeContext", "ProbeOutcome", "Prober", "Site"]
