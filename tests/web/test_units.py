"""Pure pieces of the status page: escaping, number formats, who may see what."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from probes.sites import Client, Site
from slawatch.web import format as fmt
from slawatch.web.access import AccessPolicy, NotFound, token_matches
from slawatch.web.html import Html, escape, html, join

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "&lt;already&gt;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_values_are_escaped_in_text_and_attributes(text: str) -> None:
    markup = html('<a title="{t}" href="/x">{t}</a>', t=text)
    assert "<script" not in markup and "<img" not in markup
    assert '"' not in markup.split('title="', 1)[1].split('" href', 1)[0]
    assert "'" not in markup.replace("&#x27;", "")


def test_markup_is_not_escaped_twice_and_join_escapes_plain_parts() -> None:
    inner = html("<b>{x}</b>", x="<i>")
    assert html("<p>{inner}</p>", inner=inner) == "<p><b>&lt;i&gt;</b></p>"
    assert join([Html("<br>"), "<br>"]) == "<br>&lt;br&gt;"
    assert escape(None) == ""
    assert html("{n:.1f} ms", n=12.345) == "12.3 ms"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (100.0, "100.000 %"),
        (99.9, "99.900 %"),
        (99.89996, "99.899 %"),  # never rounded up to look met
        (99.95364, "99.953 %"),
        (None, "—"),
    ],
)
def test_percentages_are_truncated(value: float | None, shown: str) -> None:
    assert fmt.pct(value) == shown


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(0.0, "0.0 min"), (20.0, "20.0 min"), (80.0, "1 h 20 min"), (-36.8, "−36.8 min")],
)
def test_minutes(minutes: float, shown: str) -> None:
    assert fmt.minutes(minutes) == shown


def test_links_carry_the_token_encoded() -> None:
    assert fmt.link("/sites/a", None) == "/sites/a"
    assert fmt.link("/sites/a", "a&b=c") == "/sites/a?token=a%26b%3Dc"
    assert fmt.path_id("a/b") == "a%2Fb"


def _policy() -> AccessPolicy:
    clients = [
        Client(id="pub", token=SecretStr("pub-token")),
        Client(id="priv", private=True, token=SecretStr("priv-token")),
        Client(id="locked", private=True),  # private without a token: nobody sees it
    ]

    def site(id_: str, client: str, public: bool = True) -> Site:
        return Site(id=id_, client=client, kind="tcp", target="h:1", public=public)

    sites = [
        site("a", "pub"),
        site("b", "pub", public=False),
        site("c", "priv"),
        site("d", "locked"),
        site("e", "unconfigured-client"),
    ]
    return AccessPolicy(clients, sites)


def test_public_audience_is_public_sites_of_non_private_clients() -> None:
    assert _policy().public().site_ids == ("a", "e")


@pytest.mark.parametrize(
    ("client", "token", "sites"),
    [
        ("pub", None, ("a",)),
        ("pub", "wrong", ("a",)),
        ("pub", "pub-token", ("a", "b")),
        ("priv", "priv-token", ("c",)),
    ],
)
def test_client_audiences(client: str, token: str | None, sites: tuple[str, ...]) -> None:
    assert _policy().client(client, token).site_ids == sites


@pytest.mark.parametrize(
    ("client", "token"),
    [
        ("priv", None),
        ("priv", ""),
        ("priv", "wrong"),
        ("priv", "pub-token"),
        ("priv", "priv-token "),
        ("locked", None),
        ("locked", ""),
        ("nobody", "priv-token"),
    ],
)
def test_hidden_clients_are_not_found(client: str, token: str | None) -> None:
    with pytest.raises(NotFound):
        _policy().client(client, token)


@pytest.mark.parametrize(
    ("site", "token", "found"),
    [
        ("a", None, True),
        ("a", "garbage", True),  # a public site stays public whatever the token
        ("b", None, False),
        ("b", "pub-token", True),
        ("c", None, False),
        ("c", "pub-token", False),
        ("c", "priv-token", True),
        ("d", None, False),
        ("e", None, True),
        ("e", "garbage", True),  # public site of a client missing from the configuration
        ("zzz", "priv-token", False),
    ],
)
def test_site_visibility(site: str, token: str | None, found: bool) -> None:
    policy = _policy()
    if found:
        assert policy.site(site, token)[1].id == site
    else:
        with pytest.raises(NotFound):
            policy.site(site, token)


def test_token_comparison() -> None:
    client = Client(id="x", token=SecretStr("s3cret"))
    assert token_matches(client, "s3cret")
    assert not token_matches(client, "s3cre")
    assert not token_matches(client, None)
    assert not token_matches(Client(id="y"), "")
    assert token_matches(Client(id="z", token=SecretStr("é")), "é")


async def test_cache_answers_concurrent_readers_with_one_computation() -> None:
    import asyncio

    from slawatch.web.cache import TtlCache

    now = [0.0]
    cache = TtlCache(5.0, clock=lambda: now[0])
    calls = []

    async def compute() -> int:
        calls.append(1)
        await asyncio.sleep(0.01)
        return len(calls)

    assert await asyncio.gather(*(cache.get("k", compute) for _ in range(10))) == [1] * 10
    now[0] = 4.9
    assert await cache.get("k", compute) == 1
    assert await cache.get("other", compute) == 2  # keys never share answers
    now[0] = 5.0
    assert await cache.get("k", compute) == 3  # expired


async def test_cache_does_not_keep_failures() -> None:
    from slawatch.web.cache import TtlCache

    cache = TtlCache(60.0)
    attempts = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("store down")
        return "ok"

    with pytest.raises(RuntimeError):
        await cache.get("k", flaky)
    assert await cache.get("k", flaky) == "ok"


def test_live_month_adds_ongoing_downtime_with_the_contract_formula() -> None:
    from datetime import UTC, datetime

    from sla.availability import compute_site_month
    from sla.contract import Contract
    from slawatch.web.figures import live_month

    contract = Contract()
    closed = [(datetime(2026, 11, 5, 8, tzinfo=UTC), datetime(2026, 11, 5, 8, 30, tzinfo=UTC))]
    ongoing = (datetime(2026, 11, 20, 11, tzinfo=UTC), datetime(2026, 11, 20, 12, tzinfo=UTC))
    at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    row = compute_site_month(contract, "s", "2026-11", closed, [], []).to_ledger_row(1, at)
    both = compute_site_month(contract, "s", "2026-11", [*closed, ongoing], [], [])

    assert live_month(None, 60.0) is None
    unchanged = live_month(row, 0.0)
    assert unchanged is not None and not unchanged.includes_ongoing
    assert unchanged.availability_pct == row.availability_pct and unchanged.met is True

    live = live_month(row, 60.0)
    assert live is not None and live.includes_ongoing
    assert live.availability_pct == pytest.approx(both.availability_float)
    assert live.met is both.met is False
    assert live.budget_left_minutes == pytest.approx(both.budget_left_minutes)
