"""The status page and API as an aiohttp application.

``create_app(settings, repository)`` builds it around an injected repository (tests and
``slawatch run`` pass one sharing the process's ClickHouse client); ``serve`` runs it.
Everything is read-only: only GET and HEAD routes exist.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from prometheus_client import Counter, Histogram

from probes.sites import Site
from slawatch.config import Settings
from slawatch.observability import metrics_handler
from slawatch.web import api, pages
from slawatch.web import format as fmt
from slawatch.web.access import AccessPolicy, Audience, NotFound
from slawatch.web.cache import TtlCache
from slawatch.web.feed import atom_feed
from slawatch.web.openapi import openapi_document
from slawatch.web.repository import StatusRepository
from slawatch.web.service import StatusService

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
SERVICE = web.AppKey("service", StatusService)
POLICY = web.AppKey("policy", AccessPolicy)
LIVE_INTERVAL = web.AppKey("live_interval_s", float)
CACHE = web.AppKey("cache", TtlCache)
PUBLIC_URL = web.AppKey("public_url", str)

# Scripts and styles only from our own /static; no inline code, no framing, no plugins.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a private page's URL carries its token
    "Permissions-Policy": "geolocation=(), camera=(), microphone=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

T = TypeVar("T")


def _token(request: web.Request) -> str | None:
    """The reader's token: ``?token=`` or ``Authorization: Bearer <token>``."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.query.get("token") or None


async def _answer(
    request: web.Request,
    method: Callable[..., T],
    audience: Audience,
    *args: Any,
) -> T:
    """``method(audience, *args)`` of the service, through the short-lived cache.

    The key holds the audience's client and site ids: answers never cross audiences.
    """
    extra = tuple(a.id if isinstance(a, Site) else a for a in args)
    client = audience.client.id if audience.client else None
    key = (method.__name__, client, audience.site_ids, extra)

    async def compute() -> T:
        # The ClickHouse client is synchronous: keep the event loop free while it works.
        return await asyncio.to_thread(method, audience, *args)

    return await request.app[CACHE].get(key, compute)


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


# --------------------------------------------------------------------------- pages


async def overview(request: web.Request) -> web.Response:
    """``/``: every public site."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    summaries = await _answer(request, service.overview, policy.public())
    maintenance = await _answer(request, service.maintenance, policy.public())
    page = pages.overview_page(
        summaries, maintenance, service.target_pct, request.app[LIVE_INTERVAL]
    )
    return _html(page)


async def client_page(request: web.Request) -> web.Response:
    """``/clients/{id}``: one client's sites (private clients need the token)."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience = policy.client(request.match_info["id"], _token(request))
    summaries = await _answer(request, service.overview, audience)
    maintenance = await _answer(request, service.maintenance, audience)
    assert audience.client is not None
    page = pages.client_page(
        audience.client,
        summaries,
        maintenance,
        service.target_pct,
        audience.token,
        request.app[LIVE_INTERVAL],
    )
    return _html(page)


async def site_page(request: web.Request) -> web.Response:
    """``/sites/{id}``: one site in full."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience, site = policy.site(request.match_info["id"], _token(request))
    detail = await _answer(request, service.site_detail, audience, site)
    return _html(pages.site_page(detail, audience.token, request.app[LIVE_INTERVAL]))


async def maintenance_page(request: web.Request) -> web.Response:
    """``/maintenance``: ongoing and upcoming windows on public sites."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    views = await _answer(request, service.maintenance, policy.public())
    return _html(pages.maintenance_page(views))


async def api_index(_: web.Request) -> web.Response:
    """``/api``: a human index of the API."""
    return _html(pages.api_page())


async def public_feed(request: web.Request) -> web.Response:
    """``/feed.atom``: public incidents and maintenance."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    entries = await _answer(request, service.feed, policy.public())
    body = atom_feed(
        entries,
        base_url=_origin(request),
        self_path="/feed.atom",
        title="slawatch: incidents and maintenance",
        now=service.now(),
    )
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")


async def client_feed(request: web.Request) -> web.Response:
    """``/clients/{id}/feed.atom``: one client's incidents and maintenance."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience = policy.client(request.match_info["id"], _token(request))
    assert audience.client is not None
    entries = await _answer(request, service.feed, audience)
    entries = [replace(entry, path=fmt.link(entry.path, audience.token)) for entry in entries]
    body = atom_feed(
        entries,
        base_url=_origin(request),
        self_path=fmt.link(f"/clients/{fmt.path_id(audience.client.id)}/feed.atom", audience.token),
        title=f"slawatch: {audience.client.name or audience.client.id}",
        now=service.now(),
    )
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")


def _origin(request: web.Request) -> str:
    # Behind a proxy the Host header is the client's to choose: prefer the configured URL.
    return request.app[PUBLIC_URL] or str(request.url.origin())


# --------------------------------------------------------------------------- API


async def api_status(request: web.Request) -> web.Response:
    """``/api/v1/status``: live state of every public site."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    summaries = await _answer(request, service.overview, policy.public(), False)
    sites = [api.live_json(s) for s in summaries]
    return web.json_response(api.envelope(service.now(), sites=sites))


async def api_sites(request: web.Request) -> web.Response:
    """``/api/v1/sites``: public sites with this month and 90 days."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    summaries = await _answer(request, service.overview, policy.public())
    sites = [api.summary_json(s, service.target_pct) for s in summaries]
    return web.json_response(api.envelope(service.now(), sites=sites))


async def api_site(request: web.Request) -> web.Response:
    """``/api/v1/sites/{id}``: one site in full."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience, site = policy.site(request.match_info["id"], _token(request))
    detail = await _answer(request, service.site_detail, audience, site)
    payload = api.detail_json(detail, service.target_pct)
    return web.json_response(api.envelope(service.now(), site=payload))


async def api_site_status(request: web.Request) -> web.Response:
    """``/api/v1/sites/{id}/status``: one site's live state and its regions."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience, site = policy.site(request.match_info["id"], _token(request))
    summary, regions = await _answer(request, service.site_live, audience, site)
    return web.json_response(
        api.envelope(
            service.now(),
            sites=[api.live_json(summary)],
            regions=[api.region_json(r) for r in regions],
        )
    )


async def api_client(request: web.Request) -> web.Response:
    """``/api/v1/clients/{id}``: a client's sites and maintenance."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience = policy.client(request.match_info["id"], _token(request))
    assert audience.client is not None
    summaries = await _answer(request, service.overview, audience)
    maintenance = await _answer(request, service.maintenance, audience)
    return web.json_response(
        api.envelope(
            service.now(),
            client=api.client_json(audience.client),
            sites=[api.summary_json(s, service.target_pct) for s in summaries],
            maintenance=[api.maintenance_json(v) for v in maintenance],
        )
    )


async def api_client_status(request: web.Request) -> web.Response:
    """``/api/v1/clients/{id}/status``: a client's live states."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience = policy.client(request.match_info["id"], _token(request))
    summaries = await _answer(request, service.overview, audience, False)
    sites = [api.live_json(s) for s in summaries]
    return web.json_response(api.envelope(service.now(), sites=sites))


async def api_maintenance(request: web.Request) -> web.Response:
    """``/api/v1/maintenance``: ongoing and upcoming windows on public sites."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    views = await _answer(request, service.maintenance, policy.public())
    return web.json_response(
        api.envelope(service.now(), maintenance=[api.maintenance_json(v) for v in views])
    )


async def api_openapi(_: web.Request) -> web.Response:
    """``/api/openapi.json``."""
    return web.json_response(openapi_document())


async def healthz(_: web.Request) -> web.Response:
    """Liveness of the web server itself."""
    return web.json_response({"ok": True})


# --------------------------------------------------------------------------- errors, headers


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _error(request: web.Request, status: int, title: str, text: str) -> web.Response:
    if _is_api(request):
        return web.json_response({"error": text}, status=status)
    return _html(pages.error_page(status, title, text), status=status)


@web.middleware
async def error_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """404 for unknown or hidden ids; no stack trace ever reaches the reader."""
    try:
        return await handler(request)
    except NotFound:
        return _error(request, 404, "Not found", "There is no such page.")
    except web.HTTPNotFound:
        return _error(request, 404, "Not found", "There is no such page.")
    except web.HTTPMethodNotAllowed as exc:
        response = _error(request, 405, "Read-only", "This server only answers GET requests.")
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response
    except web.HTTPException:
        raise
    except Exception:
        log.exception("error serving %s", request.path)
        return _error(
            request, 503, "Temporarily unavailable", "Status data is unavailable right now."
        )


REQUESTS = Counter(
    "slawatch_web_requests_total", "Status page and API requests", ["route", "status"]
)
LATENCY = Histogram(
    "slawatch_web_request_seconds",
    "Time to answer a status page or API request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def _route_name(request: web.Request) -> str:
    # The route pattern, never the raw path: ids and tokens must not become label values.
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count requests by route and status, and time them."""
    started = time.perf_counter()
    response = await handler(request)
    route = _route_name(request)
    if not route.startswith("/static"):
        REQUESTS.labels(route, str(response.status)).inc()
        LATENCY.labels(route).observe(time.perf_counter() - started)
    return response


@web.middleware
async def compression(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """gzip for pages, JSON and feeds of some size, when the reader accepts it."""
    response = await handler(request)
    body = response.body if isinstance(response, web.Response) else None
    if isinstance(body, bytes | bytearray) and len(body) > 1024:
        response.enable_compression()
    return response


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=300"
    elif _token(request):
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    else:
        response.headers["Cache-Control"] = "no-cache"


# --------------------------------------------------------------------------- assembly


def create_app(
    settings: Settings,
    repository: StatusRepository,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    live_interval_s: float = 30.0,
    cache_ttl_s: float = 5.0,
    public_url: str | None = None,
) -> web.Application:
    """The status page and API over ``repository``, for the clients and sites of ``settings``.

    ``clock`` gives "now" (tests pin it); pages poll their live JSON every
    ``live_interval_s`` seconds; answers are cached ``cache_ttl_s`` seconds (0: never).
    ``public_url`` (``https://status.example.com``) makes the feed's links absolute; without
    it they use the request's own origin.
    """
    app = web.Application(middlewares=[metrics, error_pages, compression])
    app[CACHE] = TtlCache(cache_ttl_s)
    app[PUBLIC_URL] = (public_url or "").rstrip("/")
    app[LIVE_INTERVAL] = live_interval_s
    app[SERVICE] = StatusService(settings, repository, clock)
    app[POLICY] = AccessPolicy(settings.clients, settings.sites)
    app.on_response_prepare.append(_security_headers)
    get = app.router.add_get
    get("/", overview)
    get("/maintenance", maintenance_page)
    get("/clients/{id}", client_page)
    get("/clients/{id}/feed.atom", client_feed)
    get("/sites/{id}", site_page)
    get("/feed.atom", public_feed)
    get("/api", api_index)
    get("/api/openapi.json", api_openapi)
    get("/api/v1/status", api_status)
    get("/api/v1/sites", api_sites)
    get("/api/v1/sites/{id}", api_site)
    get("/api/v1/sites/{id}/status", api_site_status)
    get("/api/v1/clients/{id}", api_client)
    get("/api/v1/clients/{id}/status", api_client_status)
    get("/api/v1/maintenance", api_maintenance)
    get("/healthz", healthz)
    get("/metrics", metrics_handler())
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
