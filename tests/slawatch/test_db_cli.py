"""``slawatch db migrate|status`` as a user runs them (own process, own embedded engine)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _db(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLAWATCH_")}
    environ |= {"SLAWATCH_DATA_DIR": str(data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "slawatch", "db", *args],
        capture_output=True, text=True, timeout=120, env=environ, check=False,
    )  # fmt: skip


def _migration(directory: Path, name: str, sql: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(sql)


@pytest.mark.integration
def test_migrate_then_status_on_the_embedded_engine(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    _migration(
        migrations,
        "0001_things.sql",
        "CREATE TABLE IF NOT EXISTS things (a UInt8) ENGINE = MergeTree ORDER BY a",
    )
    _migration(
        migrations,
        "0002_more.sql",
        "CREATE TABLE IF NOT EXISTS more (b UInt8) ENGINE = MergeTree ORDER BY b",
    )
    common = ("--migrations", str(migrations), "--database", "sla_test")

    before = _db("status", *common, data_dir=tmp_path)
    assert before.returncode == 1, before.stderr
    assert [line.split()[:2] for line in before.stdout.splitlines()[:2]] == [
        ["pending", "0001_things"],
        ["pending", "0002_more"],
    ]
    assert "NOT up to date" in before.stdout

    first = _db("migrate", *common, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[:2] == ["applied 0001_things", "applied 0002_more"]
    assert first.stdout.splitlines()[-1].endswith("database sla_test: 2 applied, up to date")

    again = _db("migrate", *common, data_dir=tmp_path)
    assert again.returncode == 0 and "0 applied, up to date" in again.stdout
    after = _db("status", *common, data_dir=tmp_path)
    assert after.returncode == 0
    assert [line.split()[0] for line in after.stdout.splitlines()[:2]] == ["applied", "applied"]


def test_a_bad_config_file_exits_2_with_the_field(tmp_path: Path) -> None:
    config = tmp_path / "slawatch.yaml"
    config.write_text("clickhouse:\n  database: 7\n")
    result = _db("status", "--config", str(config), data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"slawatch: {config}:2: clickhouse.database: Input should be a valid string\n"
    )


@pytest.mark.integration
def test_migrate_seeds_the_business_calendar_and_reseeds_when_it_changes(tmp_path: Path) -> None:
    config = tmp_path / "slawatch.yaml"
    config.write_text("contract:\n  holidays: BE\n")
    common = ("--config", str(config), "--database", "sla_test")
    first = _db("migrate", *common, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    seeded = [line for line in first.stdout.splitlines() if line.startswith("business_hours:")]
    assert len(seeded) == 1 and "business days of the contract calendar" in seeded[0]

    again = _db("migrate", *common, data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "business_hours:" not in again.stdout  # same calendar: nothing rewritten

    config.write_text("contract:\n  holidays: FR\n")
    changed = _db("migrate", *common, data_dir=tmp_path)
    assert changed.returncode == 0, changed.stderr
    assert "business_hours:" in changed.stdout
