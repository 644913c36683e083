"""``slawatch web``: serve the status page and the JSON API."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import yaml
from pydantic import ValidationError

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
            "Atom feed /feed.atom, from the ClickHouse store of the configuration. Sites and "
            "clients come from the configuration: a client with `private: true` is only shown "
            "at /clients/ID?token=TOKEN. Prints the address it listens on. With the embedded "
            "store (chdb://) this process must be the only one holding it: while `slawatch run` "
            "runs, use the page it serves instead."
        ),
    )
    web.add_argument(
        "--config", type=Path, default=None, help="slawatch.yaml (default: built-in defaults)"
    )
    web.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    web.add_argument(
        "--port", type=int, default=8080, help="port to bind, 0 picks a free one (default 8080)"
    )
    web.set_defaults(func=_run)


def load_settings(path: Path | None) -> Settings:
    """The configuration in ``path`` (or the defaults), with the field's path in any error."""
    if path is None:
        return Settings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InputError(f"{path}: {where}: {first['msg']}") from None


def _run(args: argparse.Namespace) -> int:
    from slawatch import store
    from slawatch.web.app import serve
    from slawatch.web.clickhouse import ClickHouseStatusRepository

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: must be between 0 and 65535")
    settings = load_settings(args.config)
    client = store.connect(settings.clickhouse_dsn(), settings.clickhouse.database)
    repository = ClickHouseStatusRepository(client)

    def announce(url: str) -> None:
        print(f"slawatch web: serving the status page on {url}/", flush=True)

    try:
        asyncio.run(serve(settings, repository, args.host, args.port, on_started=announce))
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    return 0
