"""Sink tests' fixtures: ``store`` is the shared migrated database of tests/conftest.py."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def store(migrated_clickhouse: Any) -> Any:
    """A client on a fresh database with every migration applied."""
    return migrated_clickhouse
