"""``slawatch db migrate|status``: the ClickHouse schema, versioned and checksummed."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from slawatch.config import Settings, load_settings, settings_path
from slawatch.store import check_identifier, connect, create_database, redact
from slawatch.store.migrations import (
    REPO_MIGRATIONS,
    MigrationStatus,
    discover,
    migrate,
    status,
    table_exists,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch db …``."""
    db = subparsers.add_parser(
        "db",
        help="ClickHouse schema migrations",
        description=(
            "Apply or inspect the versioned SQL migrations (deploy/clickhouse/migrations/"
            "NNNN_name.sql) of the configured ClickHouse: the embedded engine "
            "(chdb://<data_dir>/clickhouse, default) or a server (clickhouse.dsn / "
            "SLAWATCH_CLICKHOUSE_DSN). Applied migrations are recorded with their checksum in "
            "<database>.schema_migrations; an applied file that was edited is refused. The "
            "embedded engine can be opened by one process only: run this while `slawatch run` "
            "is stopped (it migrates at start-up anyway). `migrate` then fills the "
            "business_hours table from the contract's calendar (re-seeded when it changed)."
        ),
    )
    sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    migrate_cmd = sub.add_parser("migrate", help="create the database and apply what is pending")
    _common(migrate_cmd)
    migrate_cmd.set_defaults(func=_migrate)
    status_cmd = sub.add_parser(
        "status", help="list migrations: applied, pending, CHANGED; exit 1 unless up to date"
    )
    _common(status_cmd)
    status_cmd.set_defaults(func=_status)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="slawatch.yaml (default: $SLAWATCH_CONFIG, else the built-in defaults)",
    )
    parser.add_argument("--dsn", default=None, help="ClickHouse DSN (overrides the configuration)")
    parser.add_argument("--database", default=None, help="database (default clickhouse.database)")
    parser.add_argument(
        "--migrations",
        type=Path,
        default=REPO_MIGRATIONS,
        help="folder of NNNN_name.sql files (default: the repository's)",
    )


def _target(args: argparse.Namespace) -> tuple[Settings, str, str]:
    settings = load_settings(settings_path(args.config))
    dsn = args.dsn or settings.clickhouse_dsn()
    database = check_identifier(args.database or settings.clickhouse.database)
    return settings, dsn, database


def _migrate(args: argparse.Namespace) -> int:
    settings, dsn, database = _target(args)
    migrations = discover(args.migrations)
    create_database(connect(dsn), database)
    values = {"results_ttl_days": str(settings.clickhouse.results_ttl_days)}
    client = connect(dsn, database=database)
    applied = migrate(client, migrations, values)
    for migration in applied:
        print(f"applied {migration.label}")
    if table_exists(client, "business_hours"):  # absent from a --migrations folder without it
        from sinks.service import seed_business_hours

        seeded = seed_business_hours(client, settings, datetime.now(UTC))
        if seeded:
            print(f"business_hours: {seeded} business days of the contract calendar")
    print(f"{redact(dsn)} database {database}: {len(applied)} applied, up to date")
    return 0


def _status(args: argparse.Namespace) -> int:
    _, dsn, database = _target(args)
    migrations = discover(args.migrations)
    admin = connect(dsn)
    exists = admin.query(
        "SELECT count() FROM system.databases WHERE name = {db:String}", parameters={"db": database}
    ).result_rows[0][0]
    if exists:
        rows = status(connect(dsn, database=database), migrations)
    else:  # nothing applied yet; do not create the database just to look
        rows = [MigrationStatus(m, None) for m in migrations]
    for row in rows:
        print(_status_line(row))
    up_to_date = all(r.state == "applied" for r in rows)
    print(f"{redact(dsn)} database {database}: {'up to date' if up_to_date else 'NOT up to date'}")
    return 0 if up_to_date else 1


def _status_line(row: MigrationStatus) -> str:
    if row.migration is not None:
        label = row.migration.label
    else:
        assert row.applied is not None
        label = f"{row.applied.version:04d}_{row.applied.name}"
    when = f"  applied {row.applied.applied_at:%Y-%m-%d %H:%M:%S} UTC" if row.applied else ""
    return f"{row.state:<12} {label:<32}{when}"
