"""The JSON API, feed and pages over the seeded store: figures, privacy, bad ids and tokens."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import fresh_database
from tests.web.fixtures import ACME_TOKEN, VAULT_TOKEN

PUBLIC = {"shop", "api", "hostile"}


async def test_public_sites_show_states_and_month_figures(api: TestClient) -> None:
    response = await api.get("/api/v1/sites")
    assert response.status == 200
    body = await response.json()
    assert body["generated_at"] == "2026-11-20T12:00:00Z"
    sites = {site["id"]: site for site in body["sites"]}
    assert set(sites) == PUBLIC  # not vault (private client), not intranet (public: false)
    assert {k: s["state"] for k, s in sites.items()} == {
        "shop": "up",  # version 5 wins over the older "down" (version 4)
        "api": "down",
        "hostile": "degraded",
    }
    # (T − M − D) / (T − M): shop 43200 min, 60 maintenance, 20 down.
    assert sites["shop"]["availability_pct"] == pytest.approx(43120 / 43140 * 100)
    assert sites["shop"]["availability_text"] == "99.953 %"
    assert sites["shop"]["met"] is True
    # api: the ledger has 30 min of closed outage, 10 of them excluded (client's ISP): D = 20;
    # the open outage adds 50 min of downtime so far (its last 10 min are excluded): D = 70.
    assert sites["api"]["availability_pct"] == pytest.approx((43200 - 70) / 43200 * 100)
    assert sites["api"]["availability_text"] == "99.837 %"
    assert sites["api"]["met"] is False
    assert sites["api"]["includes_ongoing_outage"] is True
    assert sites["api"]["budget_left_minutes"] == pytest.approx(43.2 - 70)
    assert sites["shop"]["includes_ongoing_outage"] is False
    assert sites["hostile"]["availability_text"] == "100.000 %"
    assert sites["shop"]["target_pct"] == 99.9
    assert len(sites["shop"]["days"]) == 90


async def test_day_bars_count_downtime_and_maintenance_per_contract_day(api: TestClient) -> None:
    body = await (await api.get("/api/v1/sites")).json()
    days = {d["date"]: d for d in next(s for s in body["sites"] if s["id"] == "shop")["days"]}
    assert days["2026-11-18"]["downtime_minutes"] == pytest.approx(20)
    assert days["2026-11-18"]["availability_pct"] == pytest.approx((1440 - 20) / 1440 * 100)
    assert days["2026-11-15"]["maintenance_minutes"] == pytest.approx(60)
    assert days["2026-11-15"]["availability_pct"] == pytest.approx(100)
    # The deleted segment of 2026-11-10 does not count.
    assert days["2026-11-10"]["downtime_minutes"] == 0
    assert body["sites"][0]["days"][-1]["date"] == "2026-11-20"
    api_days = {d["date"]: d for d in next(s for s in body["sites"] if s["id"] == "api")["days"]}
    # Today so far (Brussels midnight = 23:00 UTC to 12:00 UTC): 780 min; the open outage
    # (not segmented yet) is down 11:00-11:50, then excluded.
    assert api_days["2026-11-20"]["downtime_minutes"] == pytest.approx(50)
    assert api_days["2026-11-20"]["excluded_minutes"] == pytest.approx(10)
    assert api_days["2026-11-20"]["availability_pct"] == pytest.approx(730 / 780 * 100)


async def test_days_before_a_sites_first_check_have_no_data(api: TestClient) -> None:
    body = await (await api.get("/api/v1/clients/acme", params={"token": ACME_TOKEN})).json()
    days = {d["date"]: d for d in next(s for s in body["sites"] if s["id"] == "intranet")["days"]}
    assert days["2026-11-17"]["availability_pct"] is None
    assert days["2026-11-18"]["availability_pct"] == 100  # from 08:00, its first check
    assert days["2026-08-23"]["availability_pct"] is None  # the first of the 90 days
    shop = {d["date"]: d for d in next(s for s in body["sites"] if s["id"] == "shop")["days"]}
    assert shop["2026-08-23"]["availability_pct"] == 100  # checked long before the window


def test_first_checks_reads_the_minute_only_for_new_sites(seeded_clickhouse: object) -> None:
    from datetime import UTC, datetime

    from slawatch.web.clickhouse import ClickHouseStatusRepository
    from tests.web.fixtures import INTRANET_FIRST_CHECK

    repo = ClickHouseStatusRepository(seeded_clickhouse)  # type: ignore[arg-type]
    since = datetime(2026, 8, 22, 22, tzinfo=UTC)
    first = repo.first_checks(["shop", "intranet", "nothing-here"], since)
    assert first == {"shop": since, "intranet": INTRANET_FIRST_CHECK}


async def test_site_detail_has_ledger_outages_regions_and_response_times(api: TestClient) -> None:
    response = await api.get("/api/v1/sites/api")
    assert response.status == 200
    site = (await response.json())["site"]
    assert site["ledger"]["downtime_minutes"] == pytest.approx(20)  # closed outages only
    assert site["ledger"]["excluded_minutes"] == pytest.approx(10)
    assert site["ledger"]["met"] is True
    assert site["met"] is False  # with the ongoing outage so far
    outages = {o["id"]: o for o in site["outages"]}
    assert set(outages) == {"o-api-1", "o-api-2"}
    assert outages["o-api-2"]["end"] is None
    assert outages["o-api-2"]["regions_down"] == ["eu-west", "us-east"]  # latest version
    assert outages["o-api-2"]["duration_minutes"] == pytest.approx(60)
    assert outages["o-api-2"]["minutes_by_label"] == {"downtime": 50.0, "excluded": 10.0}
    assert outages["o-api-1"]["minutes_by_label"] == {"downtime": 20.0, "excluded": 10.0}
    assert outages["o-api-1"]["exclusion_reasons"] == ["client_isp"]
    regions = {r["region"]: r for r in site["regions"]}
    assert set(regions) == {"eu-west", "us-east"}
    assert regions["eu-west"]["outcome"] == "down"
    assert regions["eu-west"]["error_kind"] == "connect"
    assert regions["eu-west"]["total_ms"] is None  # the latest check had no response time
    assert regions["eu-west"]["checked_at"] == "2026-11-20T11:55:00Z"
    shop = (await (await api.get("/api/v1/sites/shop")).json())["site"]
    points = [p for p in shop["response_times"] if p["region"] == "eu-west"]
    assert points and all(120 <= p["p50_ms"] <= 160 for p in points)
    assert sum(p["checks"] for p in points) == 36


async def test_maintenance_is_classified_and_private_windows_stay_private(api: TestClient) -> None:
    body = await (await api.get("/api/v1/maintenance")).json()
    windows = {m["id"]: m for m in body["maintenance"]}
    # m0 is over, m3 covers only the private vault, m5 is cancelled.
    assert set(windows) == {"m1", "m2", "m4"}
    assert windows["m1"]["kind"] == "scheduled"
    assert windows["m2"]["kind"] == "emergency"  # announced the same day
    assert windows["m4"]["kind"] == "regular"
    assert windows["m2"]["notice_business_days"] == 0
    # Announced Tuesday 10th for Monday 23rd: 11th..20th are business days (11 Nov is a
    # Belgian holiday, Armistice), so 7.
    assert windows["m1"]["notice_business_days"] == 7
    assert sorted(windows["m4"]["sites"]) == sorted(PUBLIC)  # "*", but only public sites listed


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sites/vault",
        "/api/v1/sites/vault/status",
        "/api/v1/sites/intranet",
        "/api/v1/clients/secretco",
        "/api/v1/clients/secretco/status",
        "/api/v1/sites/no-such-site",
        "/api/v1/clients/no-such-client",
    ],
)
@pytest.mark.parametrize("token", [None, "wrong", ACME_TOKEN + "x", ""])
async def test_private_or_unknown_ids_answer_the_same_404(
    api: TestClient, path: str, token: str | None
) -> None:
    params = {} if token is None else {"token": token}
    response = await api.get(path, params=params)
    assert response.status == 404
    assert await response.json() == {"error": "There is no such page."}


async def test_another_clients_token_does_not_open_a_private_client(api: TestClient) -> None:
    response = await api.get("/api/v1/clients/secretco", params={"token": ACME_TOKEN})
    assert response.status == 404
    response = await api.get("/api/v1/sites/vault", params={"token": ACME_TOKEN})
    assert response.status == 404


async def test_private_client_with_token_sees_its_sites(api: TestClient) -> None:
    response = await api.get("/api/v1/clients/secretco", params={"token": VAULT_TOKEN})
    assert response.status == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = await response.json()
    assert body["client"] == {"id": "secretco", "name": "Secret Co"}
    assert [s["id"] for s in body["sites"]] == ["vault"]
    assert body["sites"][0]["state"] == "maintenance"
    assert [m["id"] for m in body["maintenance"]] == ["m3", "m4"]
    header = {"Authorization": f"Bearer {VAULT_TOKEN}"}
    detail = await api.get("/api/v1/sites/vault", headers=header)
    assert detail.status == 200
    assert (await detail.json())["site"]["name"] == "Vault"


async def test_public_client_token_adds_its_non_public_sites(api: TestClient) -> None:
    without = await (await api.get("/api/v1/clients/acme")).json()
    assert [s["id"] for s in without["sites"]] == ["shop", "api"]
    with_token = await (await api.get("/api/v1/clients/acme", params={"token": ACME_TOKEN})).json()
    assert [s["id"] for s in with_token["sites"]] == ["shop", "api", "intranet"]
    assert "token" not in str(with_token)


async def test_live_status_endpoints_are_small(api: TestClient) -> None:
    body = await (await api.get("/api/v1/status")).json()
    assert {s["id"]: s["state_label"] for s in body["sites"]} == {
        "shop": "Up",
        "api": "Down",
        "hostile": "Degraded",
    }
    assert all("days" not in s for s in body["sites"])
    site = await (await api.get("/api/v1/sites/api/status")).json()
    assert [r["outcome"] for r in site["regions"]] == ["down", "down"]


async def test_openapi_documents_every_api_route(api: TestClient) -> None:
    response = await api.get("/api/openapi.json")
    document = await response.json()
    assert document["openapi"].startswith("3.")
    routes = {
        r.resource.canonical
        for r in api.app.router.routes()
        if r.resource is not None and r.resource.canonical.startswith("/api/v1")
    }
    assert routes == set(document["paths"])
    for path, item in document["paths"].items():
        assert "200" in item["get"]["responses"], path


async def test_feed_lists_public_incidents_and_maintenance_only(api: TestClient) -> None:
    import xml.etree.ElementTree as ET

    response = await api.get("/feed.atom")
    assert response.status == 200
    assert response.content_type == "application/atom+xml"
    root = ET.fromstring(await response.read())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert "Outage: Public API is down" in titles
    assert "Resolved: Web shop was down for 20 min" in titles
    assert "Emergency maintenance: Emergency patch" in titles
    assert not any("Vault" in (title or "") for title in titles)
    links = [e.get("href") for e in root.iter("{http://www.w3.org/2005/Atom}link")]
    assert all(str(link).startswith(str(api.make_url("/"))[:-1]) for link in links)
    private = await api.get("/clients/secretco/feed.atom", params={"token": VAULT_TOKEN})
    assert b"Vault upgrade" in await private.read()
    assert (await api.get("/clients/secretco/feed.atom")).status == 404


async def test_pages_escape_names_and_send_security_headers(api: TestClient) -> None:
    response = await api.get("/")
    text = await response.text()
    assert response.status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text
    assert "Vault" not in text and "Intranet" not in text
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    ["/sites/nope", "/clients/nope", "/clients/secretco", "/sites/vault?token=bad", "/nothing"],
)
async def test_unknown_pages_are_plain_404_pages(api: TestClient, path: str) -> None:
    response = await api.get(path)
    assert response.status == 404
    text = await response.text()
    assert "There is no such page." in text
    assert "Traceback" not in text and "secretco" not in text.replace(path, "")


async def test_the_server_is_read_only(api: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = await api.request(method, "/api/v1/sites")
        assert response.status == 405, method


async def test_each_page_renders(api: TestClient) -> None:
    for path in ("/", "/maintenance", "/sites/shop", "/sites/api", "/api", "/clients/acme"):
        response = await api.get(path)
        assert response.status == 200, path
        assert response.content_type == "text/html"
    site = await (await api.get("/sites/api")).text()
    for text in ("99.837 %", "client isp", "excluded 10.0 min", "Latest check per region"):
        assert text.lower() in site.lower(), text


async def test_store_failure_is_a_plain_503_without_details(clickhouse_dsn: str) -> None:
    from aiohttp.test_utils import TestServer

    from slawatch.web.app import create_app
    from slawatch.web.clickhouse import ClickHouseStatusRepository
    from tests.web import fixtures

    # A database without the tables: every query fails inside ClickHouse.
    with fresh_database(clickhouse_dsn) as empty:
        app = create_app(fixtures.settings(), ClickHouseStatusRepository(empty))
        async with TestClient(TestServer(app)) as client:
            page = await client.get("/")
            assert page.status == 503
            text = await page.text()
            assert "Status data is unavailable right now." in text
            assert "UNKNOWN_TABLE" not in text and "Traceback" not in text
            answer = await client.get("/api/v1/sites")
            assert answer.status == 503
            assert await answer.json() == {"error": "Status data is unavailable right now."}
            assert (await client.get("/healthz")).status == 200


async def test_metrics_count_requests_by_route_never_by_id(api: TestClient) -> None:
    await api.get("/sites/shop")
    await api.get("/api/v1/clients/secretco", params={"token": "guess"})
    text = await (await api.get("/metrics")).text()
    assert 'slawatch_web_requests_total{route="/sites/{id}",status="200"}' in text
    assert 'route="/api/v1/clients/{id}",status="404"' in text
    assert "secretco" not in text and "guess" not in text
    head = await api.head("/api/v1/status")
    assert head.status == 200


async def test_feed_links_use_the_configured_public_url(seeded_clickhouse: object) -> None:
    from aiohttp.test_utils import TestServer

    from slawatch.web.app import create_app
    from slawatch.web.clickhouse import ClickHouseStatusRepository
    from tests.web import fixtures

    app = create_app(
        fixtures.settings(),
        ClickHouseStatusRepository(seeded_clickhouse),  # type: ignore[arg-type]
        clock=lambda: fixtures.NOW,
        public_url="https://status.example.com/",
    )
    async with TestClient(TestServer(app)) as client:
        feed = await client.get("/feed.atom", headers={"Host": "evil.example"})
        body = (await feed.read()).decode()
    assert '<link rel="self" href="https://status.example.com/feed.atom"' in body
    assert "evil.example" not in body
