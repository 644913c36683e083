"""A child process's ``/metrics`` appended to the parent's, so one scrape shows both.

``slawatch run`` runs the stream worker as a child process that serves its own ``/metrics``
on a loopback port. The web app's ``/metrics`` fetches it on every scrape (short timeout)
and appends the families the parent does not already export: both processes have the
default ``process_*``/``python_*`` collectors and ``slawatch_consumer_lag``, and one name
with two ``# HELP``/``# TYPE`` blocks would make the whole exposition invalid. A gauge
(``slawatch_stream_metrics_up`` for run) says whether the child's part is there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

log = logging.getLogger("slawatch.metrics")

CHILD_SCRAPE_TIMEOUT_S = 2.0  # well inside Prometheus's default 10 s scrape timeout


def merge_expositions(own: str, child: str | None, *, up: str) -> str:
    """``own`` plus the families of ``child`` whose names ``own`` does not use, plus ``up``.

    ``child`` is None when the child did not answer; text that does not parse counts as
    the same (its families are left out rather than risk an invalid exposition). The gauge
    ``up`` is 1 when the child's families were taken, 0 otherwise.
    """
    taken = _names(text_string_to_metric_families(own))
    families: list[Metric] = []
    if child is not None:
        try:
            families = list(text_string_to_metric_families(child))
        except ValueError as exc:
            log.warning("the child's /metrics does not parse (left out): %s", exc)
            child = None
    kept = [family for family in families if not _names([family]) & taken]
    gauge = GaugeMetricFamily(
        up, "1 when the child process's /metrics answered this scrape (its families follow)"
    )
    gauge.add_metric([], 0 if child is None else 1)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families([*kept, gauge]))
    return own + generate_latest(registry).decode()


async def fetch_exposition(url: str, timeout_s: float = CHILD_SCRAPE_TIMEOUT_S) -> str | None:
    """The text at ``url``, or None when it does not answer 200 within ``timeout_s``."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        # A session per scrape: scrapes are seconds apart, and there is nothing to close
        # when the web app stops.
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as response,
        ):
            if response.status != 200:
                log.debug("%s answered %d", url, response.status)
                return None
            return await response.text()
    except (aiohttp.ClientError, TimeoutError, UnicodeDecodeError) as exc:
        # Debug only: a child that is down is already reported by its supervisor.
        log.debug("%s unavailable: %r", url, exc)
        return None


def merged_metrics_handler(
    child_url: Callable[[], str | None],
    *,
    up: str,
    registry: CollectorRegistry = REGISTRY,
    timeout_s: float = CHILD_SCRAPE_TIMEOUT_S,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp ``/metrics`` handler: ``registry`` merged with the child at ``child_url()``.

    ``child_url`` is read on every scrape (None: no child yet, so ``up`` is 0).
    """

    async def handle(_: web.Request) -> web.StreamResponse:
        url = child_url()
        child = None if url is None else await fetch_exposition(url, timeout_s)
        body = merge_expositions(generate_latest(registry).decode(), child, up=up)
        return web.Response(body=body.encode(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle


def _names(families: Iterable[Metric]) -> set[str]:
    """Family and sample names (a counter ``x`` owns ``x_total``; ``x_created`` is its own)."""
    names: set[str] = set()
    for family in families:
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


class _Families(Collector):
    """Already-collected families, rendered again by :func:`generate_latest`."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        """The families as given."""
        return iter(self._families)
