"""Request handlers: the pages, the feeds and the JSON API (all GET, all read-only)."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from slawatch.web import api, pages
from slawatch.web import format as fmt
from slawatch.web.feed import atom_feed
from slawatch.web.keys import (
    LIVE_INTERVAL,
    POLICY,
    PUBLIC_URL,
    SERVICE,
    answer,
    html_response,
    token_of,
)
from slawatch.web.openapi import openapi_document

# --------------------------------------------------------------------------- pages


async def overview(request: web.Request) -> web.Response:
    """``/``: every public site."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    summaries = await answer(request, service.overview, policy.public())
    maintenance = await answer(request, service.maintenance, policy.public())
    page = pages.overview_page(
        summaries, maintenance, service.target_pct, request.app[LIVE_INTERVAL]
    )
    return html_response(page)


async def client_page(request: web.Request) -> web.Response:
    """``/clients/{id}``: one client's sites (private clients need the token)."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience = policy.client(request.match_info["id"], token_of(request))
    summaries = await answer(request, service.overview, audience)
    maintenance = await answer(request, service.maintenance, audience)
    assert audience.client is not None
    page = pages.client_page(
        audience.client,
        summaries,
        maintenance,
        service.target_pct,
        audience.token,
        request.app[LIVE_INTERVAL],
    )
    return html_response(page)


async def site_page(request: web.Request) -> web.Response:
    """``/sites/{id}``: one site in full."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience, site = policy.site(request.match_info["id"], token_of(request))
    detail = await answer(request, service.site_detail, audience, site)
    return html_response(pages.site_page(detail, audience.token, request.app[LIVE_INTERVAL]))


async def maintenance_page(request: web.Request) -> web.Response:
    """``/maintenance``: ongoing and upcoming windows on public sites."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    views = await answer(request, service.maintenance, policy.public())
    return html_response(pages.maintenance_page(views))


async def api_index(_: web.Request) -> web.Response:
    """``/api``: a human index of the API."""
    return html_response(pages.api_page())


async def public_feed(request: web.Request) -> web.Response:
    """``/feed.atom``: public incidents and maintenance."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    entries = await answer(request, service.feed, policy.public())
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
    audience = policy.client(request.match_info["id"], token_of(request))
    assert audience.client is not None
    entries = await answer(request, service.feed, audience)
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
    summaries = await answer(request, service.overview, policy.public(), False)
    sites = [api.live_json(s) for s in summaries]
    return web.json_response(api.envelope(service.now(), sites=sites))


async def api_sites(request: web.Request) -> web.Response:
    """``/api/v1/sites``: public sites with this month and 90 days."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    summaries = await answer(request, service.overview, policy.public())
    sites = [api.summary_json(s, service.target_pct) for s in summaries]
    return web.json_response(api.envelope(service.now(), sites=sites))


async def api_site(request: web.Request) -> web.Response:
    """``/api/v1/sites/{id}``: one site in full."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience, site = policy.site(request.match_info["id"], token_of(request))
    detail = await answer(request, service.site_detail, audience, site)
    payload = api.detail_json(detail, service.target_pct)
    return web.json_response(api.envelope(service.now(), site=payload))


async def api_site_status(request: web.Request) -> web.Response:
    """``/api/v1/sites/{id}/status``: one site's live state and its regions."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    audience, site = policy.site(request.match_info["id"], token_of(request))
    summary, regions = await answer(request, service.site_live, audience, site)
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
    audience = policy.client(request.match_info["id"], token_of(request))
    assert audience.client is not None
    summaries = await answer(request, service.overview, audience)
    maintenance = await answer(request, service.maintenance, audience)
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
    audience = policy.client(request.match_info["id"], token_of(request))
    summaries = await answer(request, service.overview, audience, False)
    sites = [api.live_json(s) for s in summaries]
    return web.json_response(api.envelope(service.now(), sites=sites))


async def api_maintenance(request: web.Request) -> web.Response:
    """``/api/v1/maintenance``: ongoing and upcoming windows on public sites."""
    service, policy = request.app[SERVICE], request.app[POLICY]
    views = await answer(request, service.maintenance, policy.public())
    return web.json_response(
        api.envelope(service.now(), maintenance=[api.maintenance_json(v) for v in views])
    )


async def api_openapi(_: web.Request) -> web.Response:
    """``/api/openapi.json``."""
    return web.json_response(openapi_document())


async def healthz(_: web.Request) -> web.Response:
    """Liveness of the web server itself."""
    return web.json_response({"ok": True})
