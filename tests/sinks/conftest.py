"""Sink tests' ClickHouse fixtures (temporary: replaced by tests/conftest.py's once they land)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import clickhouse_connect
import pytest

from tests.sinks.fixtures import migrate


@pytest.fixture(scope="session")
def _sink_engine_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("chdb"))


@pytest.fixture
def store(_sink_engine_path: str) -> Iterator[Any]:
    """A client on a fresh, migrated database of the session's embedded engine."""
    dsn = f"chdb://{_sink_engine_path}"
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = clickhouse_connect.get_client(dsn=dsn)
    admin.command(f"CREATE DATABASE {name}")
    client = clickhouse_connect.get_client(dsn=dsn, database=name)
    migrate(client)
    try:
        yield client
    finally:
        admin.command(f"DROP DATABASE IF EXISTS {name} SYNC")
