"""Middleware: error pages, metrics, compression and the security headers."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import Counter, Histogram

from slawatch.web import pages
from slawatch.web.access import NotFound
from slawatch.web.keys import html_response, token_of

log = logging.getLogger(__name__)

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

# --------------------------------------------------------------------------- errors, headers


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _error(request: web.Request, status: int, title: str, text: str) -> web.Response:
    if _is_api(request):
        return web.json_response({"error": text}, status=status)
    return html_response(pages.error_page(status, title, text), status=status)


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


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=300"
    elif token_of(request):
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    else:
        response.headers["Cache-Control"] = "no-cache"
