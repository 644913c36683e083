"""TCP prober: resolve, then open (and close) a fresh connection to ``host:port``."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from probes.outcome import PhaseTimer, ProbeContext, ProbeOutcome
from probes.sites import Site
from probes.targets import parse_host_port


async def probe(site: Site, *, ctx: ProbeContext) -> ProbeOutcome:
    """Connect to the target; up when the three-way handshake completes."""
    host, port = parse_host_port(site.target)
    _reader, writer = await connect(host, port, ctx.timer)
    await close(writer)
    return ProbeOutcome()


async def resolve(host: str, port: int, timer: PhaseTimer) -> list[str]:
    """The addresses of ``host`` (the machine's resolver), timed as the ``dns`` phase."""
    timer.begin("dns")
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    timer.end("dns")
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def connect(
    host: str, port: int, timer: PhaseTimer
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A new TCP connection to the first address of ``host`` that accepts one."""
    addresses = await resolve(host, port, timer)
    timer.begin("connect")
    failure: OSError | None = None
    for address in addresses:
        try:
            streams = await asyncio.open_connection(address, port)
        except OSError as exc:
            failure = exc
            continue
        timer.end("connect")
        return streams
    raise failure or OSError(f"{host} has no address")


async def close(writer: asyncio.StreamWriter) -> None:
    """Close the connection; a peer that does not answer the close is not our problem."""
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), timeout=1.0)
