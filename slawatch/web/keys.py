"""Application keys and request helpers shared by the handlers and the middleware."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from probes.sites import Site
from slawatch.web.access import AccessPolicy, Audience
from slawatch.web.cache import TtlCache
from slawatch.web.service import StatusService

SERVICE = web.AppKey("service", StatusService)
POLICY = web.AppKey("policy", AccessPolicy)
LIVE_INTERVAL = web.AppKey("live_interval_s", float)
CACHE = web.AppKey("cache", TtlCache)
PUBLIC_URL = web.AppKey("public_url", str)

T = TypeVar("T")


def token_of(request: web.Request) -> str | None:
    """The reader's token: ``?token=`` or ``Authorization: Bearer <token>``."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.query.get("token") or None


async def answer(
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


def html_response(body: str, status: int = 200) -> web.Response:
    """An HTML answer in UTF-8."""
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
