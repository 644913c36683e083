"""``slawatch web``: serve the status page and the JSON API."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from slawatch.config import Settings
from slawatch.errors import InputError, UserError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch web``."""
    web = subparsers.add_parser(
        "web",
        help="serve the status page, the JSON API and the Atom feed",
        description=(
            "Serve the read-only status page (public overview, a page per client and per site, "
            "maintenance), the JSON API under /api/v1 (OpenAPI at /api/openapi.json) and the "
            "Atom feed /feed.atom, from the ClickHouse store of the configuration. Clients and "
            "sites come from the configuration (or --sites): a client with `private: true` is "
            "only shown at /clients/ID?token=TOKEN, and a site with `public: false` only on "
            "its client's page with the token. Prints the address it listens on. With the "
            "embedded store (chdb://) only one process may hold it: while `slawatch run` runs, "
            "use the page it serves instead."
        ),
    )
    web.add_argument(
        "--config",
        type=Path,
        default=None,
        help="slawatch.yaml (default: $SLAWATCH_CONFIG, else built-in defaults)",
    )
    web.add_argument(
        "--sites",
        type=Path,
        default=None,
        help="a sites file (clients: and sites:) replacing the configuration's lists",
    )
    web.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    web.add_argument(
        "--port", type=int, default=8080, help="port to bind, 0 picks a free one (default 8080)"
    )
    web.add_argument(
        "--public-url",
        default=None,
        help="the address readers use (https://status.example.com), for the feed's links; "
        "default: the address of each request",
    )
    web.set_defaults(func=_run)


def _settings(args: argparse.Namespace) -> Settings:
    from probes.sites_file import load_sites_file
    from slawatch.config import load_settings, settings_path

    settings = load_settings(settings_path(args.config))
    if args.sites is not None:
        sites = load_sites_file(args.sites)
        settings = settings.model_copy(update={"clients": sites.clients, "sites": sites.sites})
    return settings


def _run(args: argparse.Namespace) -> int:
    from slawatch import store
    from slawatch.web.app import serve
    from slawatch.web.clickhouse import ClickHouseStatusRepository

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: must be between 0 and 65535")
    if args.public_url is not None and not args.public_url.startswith(("http://", "https://")):
        raise InputError(f"--public-url {args.public_url!r}: must start with http:// or https://")
    settings = _settings(args)
    from slawatch.observability import setup_logging

    setup_logging(settings.log_format)  # text or JSON, like every long-running command
    dsn, database = settings.clickhouse_dsn(), settings.clickhouse.database
    found = store.connect(dsn).query(
        "SELECT count() FROM system.databases WHERE name = {name:String}",
        parameters={"name": database},
    )
    if not found.result_rows[0][0]:
        raise UserError(
            f"the ClickHouse database {database!r} at {store.redact(dsn)} does not exist yet: "
            "run `slawatch db migrate` first (`slawatch run` does it too)"
        )
    repository = ClickHouseStatusRepository(store.connect(dsn, database))

    def announce(url: str) -> None:
        print(f"slawatch web: serving the status page on {url}/", flush=True)

    try:
        asyncio.run(
            serve(
                settings,
                repository,
                args.host,
                args.port,
                on_started=announce,
                public_url=args.public_url,
            )
        )
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    return 0
