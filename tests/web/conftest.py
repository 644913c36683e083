"""Fixtures of the status-page tests: a seeded store, the app, a live server, a browser."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from clickhouse_connect.driver.client import Client as ClickHouseClient
from playwright.sync_api import Browser, sync_playwright

from slawatch.store.migrations import REPO_MIGRATIONS
from slawatch.web.app import create_app, start
from slawatch.web.clickhouse import ClickHouseStatusRepository
from tests.conftest import fresh_database
from tests.web import fixtures

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def seeded_clickhouse(clickhouse_dsn: str) -> Iterator[ClickHouseClient]:
    """A migrated database holding the seeded month, shared by the web tests (read-only;
    a test that changes it restores it)."""
    with fresh_database(clickhouse_dsn, REPO_MIGRATIONS) as client:
        fixtures.seed(client, fixtures.settings().contract)
        yield client


@pytest.fixture
async def api(seeded_clickhouse: ClickHouseClient) -> AsyncIterator[TestClient]:
    """An aiohttp test client of the app over the seeded store, its clock pinned at NOW."""
    app = create_app(
        fixtures.settings(),
        ClickHouseStatusRepository(seeded_clickhouse),
        clock=lambda: fixtures.NOW,
    )
    async with TestClient(TestServer(app)) as client:
        yield client


@contextmanager
def running_server(
    client: ClickHouseClient, live_interval_s: float = 30.0, cache_ttl_s: float = 5.0
) -> Iterator[str]:
    """The app served on 127.0.0.1 (a free port) from a thread of its own; yields its URL."""
    app = create_app(
        fixtures.settings(),
        ClickHouseStatusRepository(client),
        clock=lambda: fixtures.NOW,
        live_interval_s=live_interval_s,
        cache_ttl_s=cache_ttl_s,
    )
    # The server's loop lives in its own thread: Playwright's sync API runs a loop here.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="web-test-server", daemon=True)
    thread.start()
    runner, url = asyncio.run_coroutine_threadsafe(start(app, "127.0.0.1", 0), loop).result(10)
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a browser downloaded by playwright install)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(seeded_clickhouse: ClickHouseClient) -> Iterator[str]:
    """The app on 127.0.0.1:<free port> over the seeded store."""
    with running_server(seeded_clickhouse) as url:
        yield url
