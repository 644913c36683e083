"""Who may see what: the public audience and each client's audience.

Rules (documented in the README):

* a site is **public** when ``site.public`` is true and its client is not ``private``;
  only public sites appear on the overview, the maintenance page, the public API and the feed;
* a client's page lists that client's sites. A private client's page, and every
  non-public site, needs the client's token (``?token=`` or ``Authorization: Bearer``);
* a wrong or missing token gives the same 404 as an unknown id, so a link without its
  token does not even reveal that the client or site exists. Tokens are compared with
  :func:`hmac.compare_digest` (constant time).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from probes.sites import Client, Site

log = logging.getLogger(__name__)
_DUMMY = b"x" * 32


class NotFound(Exception):
    """An unknown id, or one the caller may not see (the two are indistinguishable)."""


@dataclass(frozen=True)
class Audience:
    """The sites one reader may see: the public, or one client holding its token."""

    sites: tuple[Site, ...]
    client: Client | None = None
    token: str | None = None

    @property
    def site_ids(self) -> tuple[str, ...]:
        """The ids of the visible sites, in configuration order."""
        return tuple(site.id for site in self.sites)

    def site(self, site_id: str) -> Site:
        """The visible site ``site_id``, or :class:`NotFound`."""
        for site in self.sites:
            if site.id == site_id:
                return site
        raise NotFound(site_id)


def token_matches(client: Client, presented: str | None) -> bool:
    """Whether ``presented`` is ``client``'s token (constant-time; no token never matches)."""
    if client.token is None or not presented:
        return False
    expected = client.token.get_secret_value().encode()
    return hmac.compare_digest(expected, presented.encode())


class AccessPolicy:
    """Resolves readers to audiences, from the configured clients and sites."""

    def __init__(self, clients: Sequence[Client], sites: Sequence[Site]) -> None:
        self._clients = {client.id: client for client in clients}
        self._sites = tuple(sites)
        for client in clients:
            if client.private and client.token is None:
                log.warning("private client %s has no token: its page is unreachable", client.id)

    def is_public(self, site: Site) -> bool:
        """Whether ``site`` may appear on public pages, feeds and the public API."""
        client = self._clients.get(site.client)
        return site.public and not (client is not None and client.private)

    def public(self) -> Audience:
        """The audience of the overview, the maintenance page, the public API and the feed."""
        return Audience(tuple(site for site in self._sites if self.is_public(site)))

    def client(self, client_id: str, token: str | None) -> Audience:
        """``client_id``'s audience; :class:`NotFound` if unknown, or needing a token not given."""
        client = self._clients.get(client_id)
        if client is None:
            # Compare anyway, so the answer takes as long as for a known client's wrong token.
            hmac.compare_digest(_DUMMY, (token or "").encode())
            raise NotFound(client_id)
        has_token = token_matches(client, token)
        if client.private and not has_token:
            raise NotFound(client_id)
        own = [site for site in self._sites if site.client == client.id]
        visible = tuple(site for site in own if has_token or self.is_public(site))
        return Audience(visible, client, token if has_token else None)

    def site(self, site_id: str, token: str | None) -> tuple[Audience, Site]:
        """Who may see ``site_id`` with ``token``, and the site; or :class:`NotFound`."""
        site = next((s for s in self._sites if s.id == site_id), None)
        if site is None:
            raise NotFound(site_id)
        if site.client not in self._clients:
            if self.is_public(site):  # a public site of a client missing from the config
                return self.public(), site
            raise NotFound(site_id)
        if self.is_public(site) and not token:
            return self.public(), site
        # A public site's client is never private, so this only fails for hidden sites.
        audience = self.client(site.client, token)
        return audience, audience.site(site_id)
