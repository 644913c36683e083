"""The status pages in a real headless Chromium (Debian's), driven by Playwright.

Screenshots of every page are saved under ``artifacts/screenshots/`` (a test artefact).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client as ClickHouseClient
from playwright.sync_api import Browser, Page, expect

from tests.web import fixtures
from tests.web.conftest import running_server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page that records console errors and any dialog (an injected script)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert dialogs == [], "a script from the data ran"
    # 404 pages log a "Failed to load resource" line on purpose; nothing else may fail.
    assert [e for e in errors if "404" not in e] == []


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def card(page: Page, site: str):  # type: ignore[no-untyped-def]
    return page.locator(f'section.site[data-site="{site}"]')


def test_overview_shows_states_and_percentages(page: Page, server: str) -> None:
    page.goto(server + "/")
    expect(page.locator("h1")).to_have_text("Service status")
    expect(page.locator("[data-field=banner]")).to_have_text("1 of 3 sites down.")
    expected = {
        "shop": ("Up", "99.953 %", "met"),
        "api": ("Down", "99.837 %", "missed"),
        "hostile": ("Degraded", "100.000 %", "met"),
    }
    for site, (state, availability, met) in expected.items():
        expect(card(page, site).locator("[data-field=state]")).to_have_text(state)
        expect(card(page, site).locator("[data-field=availability]")).to_have_text(availability)
        expect(card(page, site).locator("[data-field=met]")).to_have_text(met)
        expect(card(page, site).locator("li.bar")).to_have_count(90)
    ongoing = card(page, "api").locator("[data-field=ongoing]")
    expect(ongoing).to_have_text("(so far, with the ongoing outage)")
    expect(card(page, "shop").locator("[data-field=ongoing]")).to_have_text("")
    assert page.locator("section.site").count() == 3  # no private or non-public site
    expect(page.locator("main")).not_to_contain_text("Vault")
    expect(page.locator("main table tbody tr")).to_have_count(3)  # m1, m2, m4
    expect(page.locator("main table")).to_contain_text("Emergency patch")
    screenshot(page, "overview")


def test_hostile_site_name_is_text(page: Page, server: str) -> None:
    page.goto(server + "/")
    heading = card(page, "hostile").locator("h2")
    expect(heading).to_have_text(fixtures.HOSTILE_NAME)
    # Only our own script is on the page: the name did not become an element.
    assert page.locator("script").count() == 1
    assert page.locator("script").get_attribute("src") == "/static/app.js"
    heading.locator("a").click()
    expect(page.locator("h1")).to_have_text(fixtures.HOSTILE_NAME)
    screenshot(page, "hostile-site")


def test_day_bar_tooltip_shows_on_keyboard_focus(page: Page, server: str) -> None:
    page.goto(server + "/")
    bar = card(page, "shop").locator("li.bar").nth(87)  # 2026-11-18, three days ago
    tip = bar.locator(".tip")
    # Visually hidden (1 px, for screen readers) until the bar has focus.
    box = tip.bounding_box()
    assert box is not None and box["width"] <= 1
    bar.focus()
    expect(tip).to_have_text("2026-11-18: 98.611 %, 20.0 min down, 0.0 min in maintenance")
    box = tip.bounding_box()
    assert box is not None and box["width"] > 100
    page.keyboard.press("Tab")
    expect(card(page, "shop").locator("li.bar").nth(88)).to_be_focused()


def test_private_client_page_needs_its_token(page: Page, server: str) -> None:
    response = page.goto(server + "/clients/secretco")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("main")).not_to_contain_text("Vault")
    screenshot(page, "private-without-token")
    response = page.goto(server + "/clients/secretco?token=wrong")
    assert response is not None and response.status == 404
    response = page.goto(f"{server}/clients/secretco?token={fixtures.VAULT_TOKEN}")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text("Status for Secret Co")
    expect(card(page, "vault").locator("[data-field=state]")).to_have_text("In maintenance")
    expect(page.locator("main table")).to_contain_text("Vault upgrade")
    screenshot(page, "private-client")
    # Links keep the token, so the site page opens too.
    card(page, "vault").locator("h2 a").click()
    expect(page.locator("h1")).to_have_text("Vault")
    screenshot(page, "private-site")


def test_site_page_shows_ledger_outages_chart_and_regions(page: Page, server: str) -> None:
    page.goto(server + "/sites/api")
    ledger = page.locator("table.ledger")
    expect(ledger).to_contain_text("20.0 min")  # D in the ledger: closed outages
    ongoing = ledger.locator("tr", has_text="Ongoing outage so far (not in the ledger yet)")
    expect(ongoing.locator("td")).to_have_text("50.0 min")
    including = ledger.locator("tr", has_text="A including it")
    expect(including.locator("td")).to_have_text("99.837 % (missed)")
    expect(ledger).to_contain_text("99.953 %")  # the ledger's own A
    expect(page.locator("main")).to_contain_text("ongoing")
    expect(page.locator('tr[data-region="eu-west"] [data-field=outcome]')).to_have_text("down")
    screenshot(page, "site-api")
    page.goto(server + "/sites/shop")
    expect(page.locator("figure.chart svg polyline")).to_have_count(2)
    screenshot(page, "site-shop")


def test_maintenance_page_lists_kinds(page: Page, server: str) -> None:
    page.goto(server + "/maintenance")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("main")).to_contain_text("Emergency patch")
    expect(page.locator(".kind-emergency")).to_have_text("emergency")
    expect(page.locator("main")).not_to_contain_text("Vault upgrade")
    screenshot(page, "maintenance")


def test_phone_width_has_no_horizontal_scroll(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(server + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    screenshot(page, "overview-phone")
    context.close()


def test_pages_refresh_states_without_reload(
    browser: Browser, seeded_clickhouse: ClickHouseClient
) -> None:
    original = fixtures.STATES["shop"]
    with running_server(seeded_clickhouse, live_interval_s=0.5, cache_ttl_s=0) as url:
        page = browser.new_page()
        try:
            page.goto(url + "/")
            page.evaluate("window.__sameDocument = true")
            state = card(page, "shop").locator("[data-field=state]")
            expect(state).to_have_text("Up")
            fixtures.set_state(seeded_clickhouse, {"shop": ("down", fixtures.NOW)}, version=6)
            expect(state).to_have_text("Down", timeout=10_000)
            expect(state).to_have_class("state state-down")
            assert page.evaluate("window.__sameDocument") is True  # no reload happened
            expect(page.locator("#live-status")).to_contain_text("Updated 2026-11-20 12:00:00")
        finally:
            page.close()
            # Back to the seeded state (a newer version), for the module's other tests.
            fixtures.set_state(seeded_clickhouse, {"shop": original}, version=7)


def test_pages_have_the_structure_assistive_technology_needs(page: Page, server: str) -> None:
    for path in ("/", "/maintenance", "/sites/shop", f"/clients/acme?token={fixtures.ACME_TOKEN}"):
        page.goto(server + path)
        assert page.locator("html").get_attribute("lang") == "en"
        expect(page.locator("h1")).to_have_count(1)
        expect(page.locator("main#main")).to_have_count(1)
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        # Every link has a name, every table a caption, every chart a title.
        for link in page.locator("a").all():
            assert link.inner_text().strip(), path
        tables = page.locator("main table")
        assert (
            tables.count()
            == page.locator("main table caption").count() + page.locator("details table").count()
        )
        for svg in page.locator("svg").all():
            assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-labelledby")
    # Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    page.goto(server + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_essentials_work_without_javascript(browser: Browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    expect(card(page, "api").locator("[data-field=state]")).to_have_text("Down")
    expect(card(page, "api").locator("[data-field=availability]")).to_have_text("99.837 %")
    page.goto(server + "/sites/api")
    expect(page.locator("table.ledger")).to_contain_text("99.837 %")
    context.close()
