"""ClickHouse through clickhouse-connect only: the embedded engine (chDB) or a server.

``connect(dsn)`` takes ``chdb:///abs/path`` (the real ClickHouse engine inside this process,
through clickhouse-connect's chDB backend) or ``http(s)://user:pass@host:port/db`` (a server).
The same SQL runs on both.

chDB allows ONE engine per process, on one path, and a path can be held by one process only.
``connect`` remembers the path this process opened and fails with a message naming both paths
when another one is asked for, and names the process holding a path another process has open.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from slawatch.errors import InputError, UserError
from slawatch.processes import pid_is_running

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_engine_lock = threading.Lock()
_engine_path: Path | None = None


@dataclass(frozen=True)
class Dsn:
    """A parsed DSN: ``kind`` is ``chdb`` or ``http``/``https``."""

    kind: str
    path: Path | None  # chdb only
    url: str  # what clickhouse-connect is given

    @property
    def embedded(self) -> bool:
        """True for the in-process chDB engine."""
        return self.kind == "chdb"


def redact(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def parse_dsn(dsn: str) -> Dsn:
    """Validate a DSN; errors name the DSN with its password hidden."""
    parts = urlsplit(dsn)
    if parts.scheme == "chdb":
        raw = dsn[len("chdb://") :]
        if not raw.startswith("/"):
            raise InputError(
                f"clickhouse DSN {redact(dsn)!r}: the chDB path must be absolute "
                "(chdb:///abs/path/to/data)"
            )
        return Dsn("chdb", Path(raw), dsn)
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise InputError(f"clickhouse DSN {redact(dsn)!r}: no host")
        return Dsn(parts.scheme, None, dsn)
    raise InputError(
        f"clickhouse DSN {redact(dsn)!r}: unsupported scheme {parts.scheme!r} "
        "(use chdb:///abs/path or http(s)://user:pass@host:port/db)"
    )


def engine_path() -> Path | None:
    """The chDB path this process has opened, if any."""
    return _engine_path


def connect(dsn: str, database: str | None = None, **settings: Any) -> Client:
    """A clickhouse-connect client for ``dsn``, optionally bound to ``database``."""
    parsed = parse_dsn(dsn)
    if parsed.embedded:
        assert parsed.path is not None
        return _connect_chdb(parsed.path, database, settings)
    kwargs: dict[str, Any] = {"dsn": parsed.url, "settings": settings}
    if database:
        kwargs["database"] = database
    try:
        return clickhouse_connect.get_client(**kwargs)
    except (ClickHouseError, OSError) as exc:
        raise UserError(
            f"cannot connect to ClickHouse at {redact(dsn)}: {_first_line(exc, dsn)}"
        ) from None


def _connect_chdb(path: Path, database: str | None, settings: dict[str, Any]) -> Client:
    global _engine_path
    with _engine_lock:
        if _engine_path is not None and _engine_path != path:
            raise UserError(
                f"this process already runs the embedded ClickHouse on {_engine_path}; chDB "
                f"allows one path per process, so {path} cannot be opened too "
                "(use one path, or a ClickHouse server over http://)"
            )
        path.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"dsn": f"chdb://{path}", "settings": settings}
        if database:
            kwargs["database"] = database
        try:
            client = clickhouse_connect.get_client(**kwargs)
        except ClickHouseError as exc:
            raise _chdb_open_error(path, exc) from None
        _engine_path = path
        return client


def _chdb_open_error(path: Path, exc: Exception) -> UserError:
    text = str(exc)
    holder = holder_pid(path)
    # chDB says only "Error initializing EmbeddedServer" (the lock failure goes to stderr):
    # the pid in <path>/status being alive tells that another process holds the path.
    held = holder is not None and holder != os.getpid() and pid_is_running(holder)
    if held or "Cannot lock file" in text:
        who = f"process {holder}" if holder else "another process"
        return UserError(
            f"the embedded ClickHouse at {path} is held by {who}: chDB lets one process open "
            "a path; stop that process, go through its HTTP API, or use a ClickHouse server"
        )
    return UserError(f"cannot open the embedded ClickHouse at {path}: {_first_line(exc, '')}")


def holder_pid(path: Path) -> int | None:
    """The pid ClickHouse wrote into ``<path>/status`` (the process holding the engine)."""
    try:
        text = (path / "status").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^PID:\s*(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _first_line(exc: Exception, dsn: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    parts = urlsplit(dsn) if dsn else None
    if parts is not None and parts.password:
        text = text.replace(parts.password, "***")
    return text


def check_identifier(name: str, what: str = "database") -> str:
    """``name`` if it is a plain ClickHouse identifier (they are interpolated, never quoted)."""
    if not _IDENTIFIER.match(name):
        raise InputError(
            f"{what} name {name!r} must be letters, digits and '_' (at most 64, not starting "
            "with a digit)"
        )
    return name


def create_database(client: Client, database: str) -> None:
    """``CREATE DATABASE IF NOT EXISTS``."""
    client.command(f"CREATE DATABASE IF NOT EXISTS {check_identifier(database)}")


def drop_database(client: Client, database: str) -> None:
    """``DROP DATABASE IF EXISTS`` (tests; never called on a configured database)."""
    client.command(f"DROP DATABASE IF EXISTS {check_identifier(database)} SYNC")
