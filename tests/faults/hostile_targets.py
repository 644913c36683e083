"""Hostile HTTP targets in a process of their own: ``python -m tests.faults.hostile_targets``.

Prints one JSON line ``{"name": port, ...}`` once listening, then serves until SIGTERM. The
bytes the flooding targets pushed are written to the file given as the first argument
every 0.2 s, so a test can show how much it was offered versus how much it kept.

hang     reads the request, never answers
silent   accepts the connection, never reads nor answers
flood    200 with an endless chunked body, as fast as the socket takes it
huge     200 with Content-Length 10 GB, streamed as fast as the socket takes it
dribble  200 with a chunked body of one byte every 0.3 s, forever
ok       200 "ok" (the healthy neighbour)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

BLOCK = b"x" * 65536
sent = {"flood": 0, "huge": 0}


async def _read_request(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    await asyncio.Event().wait()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()


async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (len(BLOCK), BLOCK)
    while True:
        writer.write(chunk)
        await writer.drain()
        sent["flood"] += len(BLOCK)


async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n")
    while True:
        writer.write(BLOCK)
        await writer.drain()
        sent["huge"] += len(BLOCK)


async def dribble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    while True:
        writer.write(b"1\r\nx\r\n")
        await writer.drain()
        await asyncio.sleep(0.3)


async def ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    await writer.drain()
    writer.close()


HANDLERS = {
    "hang": hang,
    "silent": silent,
    "flood": flood,
    "huge": huge,
    "dribble": dribble,
    "ok": ok,
}


def _guarded(handler: Any) -> Any:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await handler(reader, writer)

    return serve


async def main(counters: Path) -> None:
    """Listen on a free port per target, announce them, report the bytes sent."""
    ports = {}
    for name, handler in HANDLERS.items():
        server = await asyncio.start_server(_guarded(handler), "127.0.0.1", 0)
        ports[name] = server.sockets[0].getsockname()[1]
    print(json.dumps(ports), flush=True)
    while True:
        partial = counters.with_suffix(".tmp")
        partial.write_text(json.dumps(sent))
        partial.replace(counters)  # atomic: a reader never sees half a file
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
