"""The status page and API as an aiohttp application.

``create_app(settings, repository)`` builds it around an injected repository (tests and
``slawatch run`` pass one sharing the process's ClickHouse client); ``serve`` runs it.
Everything is read-only: only GET and HEAD routes exist.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from slawatch.config import Settings
from slawatch.observability import metrics_handler
from slawatch.web import handlers as h
from slawatch.web.access import AccessPolicy
from slawatch.web.cache import TtlCache
from slawatch.web.keys import CACHE, LIVE_INTERVAL, POLICY, PUBLIC_URL, SERVICE
from slawatch.web.middleware import compression, error_pages, metrics, security_headers
from slawatch.web.repository import StatusRepository
from slawatch.web.service import StatusService

STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    settings: Settings,
    repository: StatusRepository,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    live_interval_s: float = 30.0,
    cache_ttl_s: float = 5.0,
    public_url: str | None = None,
    metrics_route: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
) -> web.Application:
    """The status page and API over ``repository``, for the clients and sites of ``settings``.

    ``clock`` gives "now" (tests pin it); pages poll their live JSON every
    ``live_interval_s`` seconds; answers are cached ``cache_ttl_s`` seconds (0: never).
    ``public_url`` (``https://status.example.com``) makes the feed's links absolute; without
    it they use the request's own origin. ``metrics_route`` serves ``/metrics`` (default: this
    process's registry; ``slawatch run`` adds its stream worker's).
    """
    app = web.Application(middlewares=[metrics, error_pages, compression])
    app[CACHE] = TtlCache(cache_ttl_s)
    app[PUBLIC_URL] = (public_url or "").rstrip("/")
    app[LIVE_INTERVAL] = live_interval_s
    app[SERVICE] = StatusService(settings, repository, clock)
    app[POLICY] = AccessPolicy(settings.clients, settings.sites)
    app.on_response_prepare.append(security_headers)
    get = app.router.add_get
    get("/", h.overview)
    get("/maintenance", h.maintenance_page)
    get("/clients/{id}", h.client_page)
    get("/clients/{id}/feed.atom", h.client_feed)
    get("/sites/{id}", h.site_page)
    get("/feed.atom", h.public_feed)
    get("/api", h.api_index)
    get("/api/openapi.json", h.api_openapi)
    get("/api/v1/status", h.api_status)
    get("/api/v1/sites", h.api_sites)
    get("/api/v1/sites/{id}", h.api_site)
    get("/api/v1/sites/{id}/status", h.api_site_status)
    get("/api/v1/clients/{id}", h.api_client)
    get("/api/v1/clients/{id}/status", h.api_client_status)
    get("/api/v1/maintenance", h.api_maintenance)
    get("/healthz", h.healthz)
    get("/metrics", metrics_route or metrics_handler())
    app.router.add_static("/static", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start serving ``app``; returns the runner (``await runner.cleanup()`` stops) and URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, f"http://{host}:{bound}"


async def serve(
    settings: Settings,
    repository: StatusRepository,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    on_started: Callable[[str], None] | None = None,
    public_url: str | None = None,
) -> None:
    """Serve until cancelled or SIGTERM/SIGINT; ``on_started(url)`` once the port is bound.

    On a signal, open requests are finished and the listening socket closed before it returns.
    """
    app = create_app(settings, repository, public_url=public_url)
    runner, url = await start(app, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
        except (NotImplementedError, RuntimeError):  # not the main thread: cancellation only
            pass
    try:
        if on_started is not None:
            on_started(url)
        await stop.wait()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        await runner.cleanup()
