"""Real local targets for the probers: an aiohttp app with misbehaving routes, TLS, raw TCP."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from aiokafka import AIOKafkaConsumer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from probes.sites import Site
from sla.model import CheckResult


def site(kind: str, target: str, **fields: object) -> Site:
    """A site of client ``acme`` with the given kind, target and extra fields."""
    return Site.model_validate(
        {"id": f"{kind}-site", "client": "acme", "kind": kind, "target": target, **fields}
    )


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="all systems operational")


async def _status(request: web.Request) -> web.Response:
    return web.Response(status=int(request.match_info["code"]), text="upstream trouble")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("s", "1")))
    return web.Response(text="finally")


async def _json(_request: web.Request) -> web.Response:
    return web.json_response({"status": {"db": "ok", "queue": "lagging"}, "version": 7})


async def _reset(request: web.Request) -> web.Response:
    """Abort the connection with a TCP RST before any answer."""
    transport = request.transport
    assert transport is not None
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0.05)
    return web.Response(text="never sent")


async def _endless(request: web.Request) -> web.StreamResponse:
    """An endless fast body: only max_body_bytes may stop it."""
    response = web.StreamResponse()
    await response.prepare(request)
    chunk = b"x" * 65536
    while True:
        await response.write(chunk)


async def _dribble(request: web.Request) -> web.StreamResponse:
    """A body that never ends and trickles: only the timeout may stop it."""
    response = web.StreamResponse()
    await response.prepare(request)
    while True:
        await response.write(b".")
        await asyncio.sleep(0.05)


async def _huge(_request: web.Request) -> web.Response:
    return web.Response(body=b"y" * 3_000_000)


def target_app() -> web.Application:
    """Routes: /ok /status/{code} /slow?s= /json /reset /endless /dribble /huge."""
    app = web.Application()
    app.router.add_get("/ok", _ok)
    app.router.add_get("/status/{code}", _status)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/json", _json)
    app.router.add_get("/reset", _reset)
    app.router.add_get("/endless", _endless)
    app.router.add_get("/dribble", _dribble)
    app.router.add_get("/huge", _huge)
    return app


@asynccontextmanager
async def serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """Serve ``app`` on 127.0.0.1 on a free port; yields the port."""
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    tcp_site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await tcp_site.start()
    port = tcp_site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port
    finally:
        await runner.cleanup()


def self_signed_cert(folder: Path, valid_days: float) -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1 that expires in ``valid_days``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context for the given certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@asynccontextmanager
async def raw_tcp_server(reply: bytes = b"") -> AsyncIterator[int]:
    """A TCP listener that sends ``reply`` (if any) and closes; yields the port."""

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if reply:
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def consume_results(
    bootstrap: str, topic: str, until: float, stop_when: object = None
) -> list[CheckResult]:
    """Every CheckResult on ``topic`` from the beginning until the monotonic time ``until``
    or until ``stop_when(results)`` returns true."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    results: list[CheckResult] = []
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < until:
            batches = await consumer.getmany(timeout_ms=200)
            for messages in batches.values():
                for message in messages:
                    assert message.key is not None and message.value is not None
                    result = CheckResult.model_validate_json(message.value)
                    assert message.key.decode() == result.site
                    results.append(result)
            if callable(stop_when) and stop_when(results):
                break
    finally:
        await consumer.stop()
    return results
