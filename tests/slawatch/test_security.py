"""Security review items: secrets never echoed, targets checked, web input, pinned dependencies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from importlib import metadata
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from clickhouse_connect.driver.client import Client as ClickHouseClient
from pydantic import ValidationError

from probes.sites import Client, Site
from probes.targets import check_target, redact_target
from slawatch.config import load_settings
from slawatch.errors import InputError
from slawatch.web.app import create_app
from slawatch.web.clickhouse import ClickHouseStatusRepository
from tests.web import fixtures
from tests.web.conftest import seeded_clickhouse  # noqa: F401  (a fixture used below)

REPO = Path(__file__).resolve().parents[2]
SECRET = "hunter2-Zq8"
DSN = f"http://slawatch:{SECRET}@127.0.0.1:1/sla"


def slawatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    environment.pop("SLAWATCH_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "slawatch", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
        env=environment,
    )


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["db", "status", "--dsn", DSN], {}),
        (["db", "migrate"], {"SLAWATCH_CLICKHOUSE_DSN": DSN}),
        (["--log-format", "json", "db", "status"], {"SLAWATCH_CLICKHOUSE_DSN": DSN}),
    ],
    ids=["status-flag", "migrate-env", "status-json-logs"],
)
def test_a_dsn_password_is_never_printed(args: list[str], env: dict[str, str]) -> None:
    done = slawatch(*args, env=env)
    assert done.returncode == 1, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "slawatch:***@127.0.0.1:1" in done.stderr


def test_the_sink_never_logs_a_dsn_password_even_at_debug(kafka_bootstrap: str) -> None:
    done = slawatch(
        "--log-format", "json", "sink", "--loglevel", "debug", "--bootstrap", kafka_bootstrap,
        "--dsn", DSN,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "***" in done.stderr


def test_a_bad_dsn_in_the_configuration_is_not_echoed(tmp_path: Path) -> None:
    config = tmp_path / "slawatch.yaml"
    config.write_text(f"clickhouse:\n  dsn: ftp://slawatch:{SECRET}@db.example/sla\n")
    with pytest.raises(InputError) as caught:
        load_settings(config, env={})
    assert SECRET not in str(caught.value)
    assert "clickhouse.dsn" in str(caught.value)


def _config_with_client(tmp_path: Path, client: str) -> Path:
    config = tmp_path / "slawatch.yaml"
    config.write_text(f"clients:\n  - id: acme\n    private: true\n{client}")
    return config


def test_a_client_token_comes_from_the_environment_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_TOKEN", SECRET)
    from_env = load_settings(_config_with_client(tmp_path, "    token_env: ACME_TOKEN\n"), env={})
    token_file = tmp_path / "acme.token"
    token_file.write_text(f"{SECRET}\n")
    from_file = load_settings(
        _config_with_client(tmp_path, f"    token_file: {token_file}\n"), env={}
    )
    for settings in (from_env, from_file):
        token = settings.clients[0].token
        assert token is not None and token.get_secret_value() == SECRET
        assert SECRET not in settings.clients[0].model_dump_json()
        assert SECRET not in repr(settings)


def test_a_client_token_env_that_is_unset_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_TOKEN", raising=False)
    config = _config_with_client(tmp_path, "    token_env: ACME_TOKEN\n")
    with pytest.raises(InputError) as caught:
        load_settings(config, env={})
    assert "token_env: environment variable ACME_TOKEN is not set" in str(caught.value)
    assert "slawatch.yaml:2" in str(caught.value)

    monkeypatch.setenv("ACME_TOKEN", SECRET)
    assert Client.model_validate({"id": "acme", "token_env": "ACME_TOKEN"}).token is not None
    both = _config_with_client(tmp_path, f"    token: {SECRET}\n    token_env: ACME_TOKEN\n")
    with pytest.raises(InputError) as caught:
        load_settings(both, env={})
    assert "give one of token, token_env and token_file" in str(caught.value)
    assert SECRET not in str(caught.value)
    missing = _config_with_client(tmp_path, f"    token_file: {tmp_path / 'none'}\n")
    with pytest.raises(InputError, match="No such file or directory"):
        load_settings(missing, env={})


def test_the_clients_topic_never_carries_a_token() -> None:
    from probes.site_topic import client_json

    client = Client(id="acme", private=True, token=SECRET)  # type: ignore[arg-type]
    assert SECRET.encode() not in client_json(client)


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("kind", "target", "error"),
    [
        ("http", "file:///etc/passwd", "must start with http:// or https://"),
        ("http", "ftp://shop.example/", "must start with http:// or https://"),
        ("http", "javascript:alert(1)", "must start with http:// or https://"),
        ("http", "gopher://shop.example:70/", "must start with http:// or https://"),
        ("http", "https:///health", "has no host"),
        ("http", "https://shop_example$/", "is not a valid host name"),
        ("http", f"https://monitor:{SECRET}@shop.example/", "carries credentials"),
        ("http", f"https://{SECRET}@shop.example/", "carries credentials"),
        ("tcp", "db.example", "must be host:port"),
        ("tcp", "db.example:99999", "invalid port"),
        ("tcp", f"admin:{SECRET}@db.example:5432", "carries credentials"),
        ("tls", "shop.example:https", "invalid port"),
        ("dns", "shop.example/path", "is not a valid host name"),
        ("dns", " shop.example", "is not a host name"),
        ("dns", f"{SECRET}@shop.example", "carries credentials"),
    ],
)
def test_bad_targets_are_refused_without_echoing_credentials(
    kind: str, target: str, error: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(error)) as caught:
        check_target(kind, target)
    assert SECRET not in str(caught.value)


def test_a_site_with_credentials_is_refused_at_apply_time() -> None:
    with pytest.raises(ValidationError) as caught:
        Site(id="shop", client="acme", kind="http", target=f"https://u:{SECRET}@shop.example")
    [error] = caught.value.errors()
    assert error["loc"] == ("target",)
    assert "'https://***@shop.example' carries credentials" in error["msg"]
    assert SECRET not in error["msg"]


def test_redact_target_masks_only_the_userinfo() -> None:
    assert redact_target("https://u:p@shop.example/a@b") == "https://***@shop.example/a@b"
    assert redact_target("https://shop.example/?q=a@b") == "https://shop.example/?q=a@b"
    assert redact_target("u:p@db:5432") == "***@db:5432"
    assert redact_target("db:5432") == "db:5432"


# --------------------------------------------------------------------------- web input


@pytest.fixture
async def web(seeded_clickhouse: ClickHouseClient) -> AsyncIterator[TestClient]:  # noqa: F811
    app = create_app(
        fixtures.settings(),
        ClickHouseStatusRepository(seeded_clickhouse),
        clock=lambda: fixtures.NOW,
    )
    async with TestClient(TestServer(app)) as client:
        yield client


ODD_PATHS = [
    "/sites/" + "a" * 5000,
    "/api/v1/sites/" + "b" * 9000,  # beyond aiohttp's request-line limit
    "/api/v1/sites/" + "a" * 5000,
    "/api/v1/clients/%00",
    "/api/v1/sites/..%2F..%2Fetc%2Fpasswd",
    "/sites/%E2%80%AE%F0%9F%92%A5",
    "/sites/%ff%fe",
    "/clients/acme?token=" + "x" * 6000,
    "/api/v1/clients/acme/status?token=%00%ff",
    "/api/v1/sites?token=a&token=b",
    "/api/v1/sites/shop'%20OR%201=1--",
    "/clients/acme/feed.atom?token=" + "%" * 50,
    "/api/v1/maintenance?from=yesterday&limit=-1",
    "/?" + "&".join(f"k{i}=v" for i in range(2000)),
]


@pytest.mark.parametrize("path", ODD_PATHS, ids=range(len(ODD_PATHS)))
async def test_odd_or_oversize_web_input_is_a_4xx_never_a_5xx(web: TestClient, path: str) -> None:
    response = await web.get(path, allow_redirects=False)
    body = await response.text()
    assert response.status < 500, (response.status, body[:300])
    assert "Traceback" not in body


async def test_odd_tokens_and_headers_on_a_private_client_are_a_4xx(web: TestClient) -> None:
    """Junk credentials get the same 404 as no credentials; an oversize header a 400."""
    for headers in (
        {"Authorization": "Bearer " + "x" * 7000},
        {"Authorization": "Bearer \u00ff\u00fe"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"X-Junk": "y" * 9000},
    ):
        response = await web.get("/api/v1/clients/secretco", headers=headers)
        expected = 400 if "X-Junk" in headers else 404
        assert response.status == expected, (list(headers), response.status)


# --------------------------------------------------------------------------- dependencies


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[_normal(name)] = version.strip()
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_package_is_pinned_at_its_installed_version() -> None:
    pins = _pins()
    own = {"slawatch", "pip", "setuptools", "wheel"}
    installed = {
        _normal(d.metadata["Name"]): d.version
        for d in metadata.distributions()
        if _normal(d.metadata["Name"]) not in own
    }
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"not in constraints.txt (regenerate it): {unpinned}"
    wrong = {n: (installed[n], pins[n]) for n in installed if installed[n] != pins[n]}
    assert not wrong, f"installed vs pinned: {wrong}"


def test_every_declared_dependency_is_pinned_and_make_installs_with_the_pins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    names = {_normal(re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0]) for d in declared}
    assert names - {"slawatch"} <= set(_pins()), sorted(names - set(_pins()))
    makefile = (REPO / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line and " -e " in line]
    assert installs and all("-c constraints.txt" in line for line in installs), installs


# --------------------------------------------------------------------------- webhooks


async def test_a_webhook_url_path_is_never_in_a_delivery_error() -> None:
    """A Slack-style hook's path is its secret: aiohttp errors that name the URL are scrubbed."""
    import aiohttp
    from aiohttp import web as aioweb

    from slawatch.notify.channel import DeliveryFailed
    from slawatch.notify.notices import Notice
    from slawatch.notify.settings import WebhookSettings
    from slawatch.notify.webhook import WebhookChannel
    from tests.slawatch.test_observability import alert

    async def redirect_forever(request: aioweb.Request) -> aioweb.Response:
        raise aioweb.HTTPFound(request.path_qs)

    app = aioweb.Application()
    app.router.add_route("*", "/{tail:.*}", redirect_forever)
    server = TestServer(app)
    await server.start_server()
    base = f"http://127.0.0.1:{server.port}"
    hooks = {
        f"{base}/services/T0/{SECRET}?sig={SECRET}": "TooManyRedirects",
        f"http://127.0.0.1:{server.port}:x/services/{SECRET}": "InvalidUrlClientError",
        f"http://ops:{SECRET}@127.0.0.1:1/services/{SECRET}": "ClientConnectorError",
    }
    try:
        async with aiohttp.ClientSession() as session:
            for url, kind in hooks.items():
                channel = WebhookChannel(WebhookSettings(name="ops", url=url), session)
                with pytest.raises(DeliveryFailed) as caught:
                    await channel.send(Notice.of_alert(alert(1)), "url", "k")
                assert str(caught.value).startswith(kind), str(caught.value)
                assert SECRET not in str(caught.value)
    finally:
        await server.close()


async def test_a_webhook_url_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aiohttp

    from slawatch.errors import UserError
    from slawatch.notify.settings import WebhookSettings
    from slawatch.notify.webhook import WebhookChannel

    config = tmp_path / "slawatch.yaml"
    config.write_text("notify:\n  webhooks:\n    - name: ops\n      url_env: OPS_HOOK\n")
    hook = load_settings(config, env={}).notify.webhooks[0]
    assert hook.url is None
    monkeypatch.delenv("OPS_HOOK", raising=False)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(UserError, match=r"url_env: environment variable OPS_HOOK is not set"):
            WebhookChannel(hook, session)
        monkeypatch.setenv("OPS_HOOK", f"https://hooks.example/services/{SECRET}")
        assert WebhookChannel(hook, session)._url.endswith(SECRET)
        monkeypatch.setenv("OPS_HOOK", f"file:///{SECRET}")
        with pytest.raises(UserError) as caught:
            WebhookChannel(hook, session)
        assert "OPS_HOOK must hold an http:// or https:// URL" in str(caught.value)
        assert SECRET not in str(caught.value)
    both = (
        "notify:\n  webhooks:\n    - name: ops\n      url: https://h.example/\n      url_env: X\n"
    )
    config.write_text(both)
    with pytest.raises(InputError, match="give one of url and url_env"):
        load_settings(config, env={})
    with pytest.raises(ValueError, match="give one of url and url_env"):
        WebhookSettings(name="ops")
