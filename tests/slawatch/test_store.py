"""ClickHouse access: DSNs, one engine per process, and the migrations runner on the real engine."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from slawatch import store
from slawatch.errors import InputError, UserError
from slawatch.store.migrations import (
    REPO_MIGRATIONS,
    discover,
    migrate,
    split_statements,
    status,
)

# --------------------------------------------------------------------------- DSNs


def test_dsn_kinds() -> None:
    embedded = store.parse_dsn("chdb:///var/lib/slawatch/clickhouse")
    assert embedded.embedded and embedded.path == Path("/var/lib/slawatch/clickhouse")
    server = store.parse_dsn("https://ro:secret@ch.example:8443/sla")
    assert not server.embedded and server.kind == "https"


@pytest.mark.parametrize(
    ("dsn", "error"),
    [
        (
            "chdb://relative/path",
            "clickhouse DSN 'chdb://relative/path': the chDB path must be absolute "
            "(chdb:///abs/path/to/data)",
        ),
        (
            "tcp://u:hunter2@h:9000/db",
            "clickhouse DSN 'tcp://u:***@h:9000/db': unsupported scheme 'tcp' "
            "(use chdb:///abs/path or http(s)://user:pass@host:port/db)",
        ),
        ("http://:8123", "clickhouse DSN 'http://:8123': no host"),
    ],
)
def test_bad_dsns_are_named_without_their_password(dsn: str, error: str) -> None:
    with pytest.raises(InputError) as err:
        store.parse_dsn(dsn)
    assert str(err.value) == error


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(UserError) as err:
        store.connect("http://slawatch:hunter2@127.0.0.1:1/sla", connect_timeout=2)
    message = str(err.value)
    assert message.startswith("cannot connect to ClickHouse at http://slawatch:***@127.0.0.1:1/sla")
    assert "hunter2" not in message


@pytest.mark.parametrize("name", ["a-b", "1abc", "x;DROP", ""])
def test_database_names_are_plain_identifiers(name: str) -> None:
    with pytest.raises(InputError, match="must be letters, digits and '_'"):
        store.check_identifier(name)


# --------------------------------------------------------------------------- statements


def test_statements_split_only_on_real_separators() -> None:
    sql = """
    -- a comment; not a separator
    CREATE TABLE a (s String DEFAULT 'x;y', `we;ird` UInt8) ENGINE = Memory;
    /* block; comment */ INSERT INTO a VALUES ('it''s; fine', 1), ('back\\'slash;', 2);

    SELECT "col;umn" FROM a ;  ;
    """
    assert split_statements(sql) == [
        "CREATE TABLE a (s String DEFAULT 'x;y', `we;ird` UInt8) ENGINE = Memory",
        "INSERT INTO a VALUES ('it''s; fine', 1), ('back\\'slash;', 2)",
        'SELECT "col;umn" FROM a',
    ]


def _write(directory: Path, name: str, sql: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(sql, encoding="utf-8")
    return path


def test_migration_files_must_be_numbered(tmp_path: Path) -> None:
    path = _write(tmp_path, "create_things.sql", "SELECT 1")
    with pytest.raises(InputError) as err:
        discover(tmp_path)
    assert str(err.value) == (
        f"{path}: a migration file is named NNNN_name.sql (e.g. 0007_alerts.sql)"
    )


def test_two_migrations_cannot_share_a_version(tmp_path: Path) -> None:
    _write(tmp_path, "0001_a.sql", "SELECT 1")
    path = _write(tmp_path, "0001_b.sql", "SELECT 2")
    with pytest.raises(InputError) as err:
        discover(tmp_path)
    assert str(err.value) == f"{path}: version 0001 is also used by 0001_a.sql"


def test_an_unknown_placeholder_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "0001_a.sql", "SELECT 1;\nSELECT ${ttl_dayz}")
    (migration,) = discover(tmp_path)
    with pytest.raises(InputError) as err:
        migration.statements({"results_ttl_days": "30", "database": "x"})
    assert str(err.value) == (
        f"{path}:2: unknown placeholder ${{ttl_dayz}} (known: database, results_ttl_days)"
    )


def test_the_repo_migrations_are_well_formed() -> None:
    migrations = discover(REPO_MIGRATIONS)
    assert migrations, "deploy/clickhouse/migrations holds no migration"
    assert [m.version for m in migrations] == sorted({m.version for m in migrations})
    for migration in migrations:
        assert migration.statements({"database": "d", "results_ttl_days": "400"})


# --------------------------------------------------------------------------- on the engine

THINGS = """
-- things we count
CREATE TABLE IF NOT EXISTS things
(
    id UInt32,
    label String,
    seen_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY id
TTL toDateTime(seen_at) + INTERVAL ${results_ttl_days} DAY;
"""


@pytest.mark.integration
def test_migrate_applies_in_order_once_and_records_each(clickhouse: Client, tmp_path: Path) -> None:
    _write(
        tmp_path,
        "0002_view.sql",
        "CREATE VIEW IF NOT EXISTS thing_count AS SELECT count() AS n FROM things",
    )
    _write(tmp_path, "0001_things.sql", THINGS)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    applied = migrate(clickhouse, discover(tmp_path), {"results_ttl_days": "30"}, now=now)
    assert [m.label for m in applied] == ["0001_things", "0002_view"]
    assert migrate(clickhouse, discover(tmp_path), {"results_ttl_days": "30"}) == []

    rows = clickhouse.query(
        "SELECT version, name, applied_at FROM schema_migrations FINAL ORDER BY version"
    ).result_rows
    assert [(v, n) for v, n, _ in rows] == [(1, "things"), (2, "view")]
    assert rows[0][2].replace(tzinfo=UTC) == now
    ddl = clickhouse.command("SHOW CREATE TABLE things")
    assert "toIntervalDay(30)" in str(ddl)
    assert [s.state for s in status(clickhouse, discover(tmp_path))] == ["applied", "applied"]


@pytest.mark.integration
def test_an_edited_applied_migration_is_refused(clickhouse: Client, tmp_path: Path) -> None:
    path = _write(tmp_path, "0001_things.sql", THINGS)
    migrate(clickhouse, discover(tmp_path), {"results_ttl_days": "30"})
    path.write_text(THINGS.replace("label String", "label String, extra UInt8"))
    _write(tmp_path, "0002_more.sql", "CREATE TABLE IF NOT EXISTS more (a UInt8) ENGINE = Memory")
    with pytest.raises(InputError) as err:
        migrate(clickhouse, discover(tmp_path), {"results_ttl_days": "30"})
    assert str(err.value).startswith(f"{path}: changed after it was applied on ")
    assert str(err.value).endswith("never edit an applied migration, add a new one")
    assert [s.state for s in status(clickhouse, discover(tmp_path))] == ["CHANGED", "pending"]
    tables = clickhouse.query("SELECT name FROM system.tables WHERE database = currentDatabase()")
    assert "more" not in {r[0] for r in tables.result_rows}


@pytest.mark.integration
def test_a_failing_statement_names_the_file_and_is_not_recorded(
    clickhouse: Client, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_things.sql", THINGS)
    path = _write(
        tmp_path, "0002_bad.sql", "SELECT 1;\nCREATE TABLE broken (a NoSuchType) ENGINE = Memory;"
    )
    with pytest.raises(UserError) as err:
        migrate(clickhouse, discover(tmp_path), {"results_ttl_days": "30"})
    assert str(err.value).startswith(f"{path}: statement 2 of 2 failed: ")
    assert [s.state for s in status(clickhouse, discover(tmp_path))] == ["applied", "pending"]


@pytest.mark.integration
def test_a_recorded_migration_without_its_file_is_refused(
    clickhouse: Client, tmp_path: Path
) -> None:
    first = _write(tmp_path, "0001_things.sql", THINGS)
    migrate(clickhouse, discover(tmp_path), {"results_ttl_days": "30"})
    first.unlink()
    _write(tmp_path, "0002_more.sql", "SELECT 1")
    with pytest.raises(UserError, match=r"has migration 0001_things applied, but no such file"):
        migrate(clickhouse, discover(tmp_path))


@pytest.mark.integration
def test_round_trip_on_the_repo_schema_with_bound_parameters(
    migrated_clickhouse: Client,
) -> None:
    client = migrated_clickhouse
    start = datetime(2026, 5, 1, tzinfo=UTC)
    batch = [
        [
            f"site-{i % 3}",
            "acme",
            "eu-west" if i % 2 else "us-east",
            "w1",
            start + timedelta(minutes=i),
            start + timedelta(minutes=i, seconds=1),
            "down" if i % 10 == 0 else "up",
        ]
        for i in range(300)
    ]
    columns = ["site", "client", "region", "worker", "scheduled_at", "started_at", "outcome"]
    client.insert("probe_results", batch, column_names=columns)

    result = client.query(
        "SELECT outcome, count() FROM probe_results FINAL "
        "WHERE site = {site:String} AND scheduled_at >= {since:DateTime64(3, 'UTC')} "
        "GROUP BY outcome ORDER BY outcome",
        parameters={"site": "site-0", "since": start + timedelta(minutes=150)},
    )
    expected_down = sum(1 for i in range(150, 300) if i % 3 == 0 and i % 10 == 0)
    expected_up = sum(1 for i in range(150, 300) if i % 3 == 0) - expected_down
    assert result.result_rows == [("up", expected_up), ("down", expected_down)]
    assert migrate(client, discover(REPO_MIGRATIONS)) == []


@pytest.mark.integration
def test_a_second_chdb_path_in_one_process_is_refused(
    clickhouse: Client, clickhouse_dsn: str, tmp_path: Path
) -> None:
    if not store.parse_dsn(clickhouse_dsn).embedded:
        pytest.fail("this test needs the embedded engine: unset SLAWATCH_TEST_CLICKHOUSE_DSN")
    with pytest.raises(UserError) as err:
        store.connect(f"chdb://{tmp_path / 'other'}")
    assert str(err.value).startswith(
        f"this process already runs the embedded ClickHouse on {store.engine_path()}; chDB "
        f"allows one path per process, so {tmp_path / 'other'} cannot be opened too"
    )


@pytest.mark.integration
def test_a_path_held_by_another_process_names_that_process(
    clickhouse: Client, clickhouse_dsn: str
) -> None:
    if not store.parse_dsn(clickhouse_dsn).embedded:
        pytest.fail("this test needs the embedded engine: unset SLAWATCH_TEST_CLICKHOUSE_DSN")
    code = (
        "import sys\nfrom slawatch import store\nfrom slawatch.errors import UserError\n"
        "try:\n    store.connect(sys.argv[1])\nexcept UserError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, clickhouse_dsn],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    path = store.parse_dsn(clickhouse_dsn).path
    assert out.stdout.strip() == (
        f"the embedded ClickHouse at {path} is held by process {__import__('os').getpid()}: "
        "chDB lets one process open a path; stop that process, go through its HTTP API, or use "
        "a ClickHouse server"
    )
