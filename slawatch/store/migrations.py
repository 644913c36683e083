"""Versioned SQL migrations for ClickHouse: applied in order, recorded, idempotent, checksummed.

Files are ``deploy/clickhouse/migrations/NNNN_name.sql``. Each holds one or more statements
separated by ``;`` (``;`` inside strings, quoted identifiers and comments is not a separator).
Table names are unqualified: the runner binds the client to the target database. A file may use
``${name}`` placeholders for values of the configuration (``PLACEHOLDERS``); an unknown
placeholder is an error. The checksum covers the file's text before substitution, so changing
a setting does not count as editing an applied migration, but editing its text does.

Every applied migration is a row of ``schema_migrations`` in the same database. ClickHouse has no
transactions: a migration is recorded only after all its statements ran, and statements should
be written re-runnable (``IF NOT EXISTS``) so a migration interrupted half-way can run again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from slawatch.errors import InputError, UserError
from slawatch.store import check_identifier, connect, create_database

REPO_MIGRATIONS = Path(__file__).resolve().parents[2] / "deploy" / "clickhouse" / "migrations"
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Values a migration may reference as ${name}; filled from the configuration.
PLACEHOLDERS = ("database", "results_ttl_days")

SCHEMA_MIGRATIONS_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY version
"""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path
    text: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text (before placeholders are filled)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        """``0003_stream_tables``."""
        return f"{self.version:04d}_{self.name}"

    def statements(self, values: dict[str, str]) -> list[str]:
        """The statements to run, placeholders filled."""
        return split_statements(fill_placeholders(self.text, values, self.path))


@dataclass(frozen=True)
class AppliedMigration:
    """A row of ``schema_migrations``."""

    version: int
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True)
class MigrationStatus:
    """A migration file next to its record, if applied."""

    migration: Migration | None
    applied: AppliedMigration | None

    @property
    def state(self) -> str:
        """``applied``, ``pending``, ``CHANGED`` (edited after applying) or ``MISSING FILE``."""
        if self.migration is None:
            return "MISSING FILE"
        if self.applied is None:
            return "pending"
        return "applied" if self.applied.checksum == self.migration.checksum else "CHANGED"


def discover(directory: Path = REPO_MIGRATIONS) -> list[Migration]:
    """Every ``NNNN_name.sql`` in ``directory``, by version; bad names and duplicates are errors."""
    if not directory.is_dir():
        raise UserError(f"{directory}: migrations folder not found")
    found: dict[int, Migration] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILE_NAME.match(path.name)
        if match is None:
            raise InputError(
                f"{path}: a migration file is named NNNN_name.sql (e.g. 0007_alerts.sql)"
            )
        version = int(match.group(1))
        if version in found:
            raise InputError(
                f"{path}: version {version:04d} is also used by {found[version].path.name}"
            )
        found[version] = Migration(version, match.group(2), path, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def fill_placeholders(text: str, values: dict[str, str], path: Path) -> str:
    """Replace ``${name}``; an unknown name is an error naming the file and line."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            line = text.count("\n", 0, match.start()) + 1
            raise InputError(
                f"{path}:{line}: unknown placeholder ${{{name}}} "
                f"(known: {', '.join(sorted(values))})"
            )
        return values[name]

    return PLACEHOLDER.sub(replace, text)


def split_statements(sql: str) -> list[str]:
    """Split on ``;`` outside '…' and "…"/`…` quotes and -- / /* */ comments; drop empty ones."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            end = _end_of_quoted(sql, i)
            current.append(sql[i:end])
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def _end_of_quoted(sql: str, start: int) -> int:
    """Index just past the quoted token opening at ``start`` (backslash and doubled escapes)."""
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        if sql[i] == "\\":
            i += 2
            continue
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


def table_exists(client: Client, name: str) -> bool:
    """Whether the client's database has a table (or view) called ``name``."""
    return bool(
        client.query(
            "SELECT count() FROM system.tables "
            "WHERE database = currentDatabase() AND name = {name:String}",
            parameters={"name": name},
        ).result_rows[0][0]
    )


def applied_migrations(client: Client) -> dict[int, AppliedMigration]:
    """version → record, from the client's database (empty when nothing was applied)."""
    if not table_exists(client, "schema_migrations"):
        return {}
    rows = client.query(
        "SELECT version, name, checksum, applied_at FROM schema_migrations FINAL ORDER BY version"
    ).result_rows
    return {int(r[0]): AppliedMigration(int(r[0]), r[1], r[2], r[3]) for r in rows}


def status(client: Client, migrations: list[Migration]) -> list[MigrationStatus]:
    """Every migration file and every recorded one, side by side, by version."""
    applied = applied_migrations(client)
    by_version = {m.version: m for m in migrations}
    return [
        MigrationStatus(by_version.get(v), applied.get(v))
        for v in sorted(set(by_version) | set(applied))
    ]


def migrate(
    client: Client,
    migrations: list[Migration],
    values: dict[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> list[Migration]:
    """Apply the pending migrations in order; returns those applied (empty: up to date).

    Refuses to run when an applied migration's file changed or disappeared: the database would
    no longer match the files, and silently going on hides it.
    """
    values = {"database": client.database or "default", **(values or {})}
    statuses = status(client, migrations)
    for st in statuses:
        if st.state == "CHANGED":
            assert st.migration is not None and st.applied is not None
            raise InputError(
                f"{st.migration.path}: changed after it was applied on "
                f"{st.applied.applied_at:%Y-%m-%d %H:%M} UTC (checksum {st.applied.checksum[:12]}, "
                f"now {st.migration.checksum[:12]}): never edit an applied migration, add a new one"
            )
        if st.state == "MISSING FILE":
            assert st.applied is not None
            raise UserError(
                f"database {client.database} has migration {st.applied.version:04d}_"
                f"{st.applied.name} applied, but no such file exists (is this slawatch older "
                "than the database?)"
            )
    pending = [st.migration for st in statuses if st.state == "pending" and st.migration]
    client.command(SCHEMA_MIGRATIONS_DDL)
    for migration in pending:
        _apply(client, migration, values, now or datetime.now(UTC))
    return pending


def _apply(client: Client, migration: Migration, values: dict[str, str], now: datetime) -> None:
    statements = migration.statements(values)
    for number, statement in enumerate(statements, start=1):
        try:
            client.command(statement)
        except ClickHouseError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise UserError(
                f"{migration.path}: statement {number} of {len(statements)} failed: {first}"
            ) from None
    client.insert(
        "schema_migrations",
        [[migration.version, migration.name, migration.checksum, now]],
        column_names=["version", "name", "checksum", "applied_at"],
    )


def migrate_database(
    dsn: str,
    database: str,
    directory: Path = REPO_MIGRATIONS,
    values: dict[str, str] | None = None,
) -> list[Migration]:
    """Create ``database`` if needed and apply the pending migrations of ``directory`` into it."""
    check_identifier(database)
    create_database(connect(dsn), database)
    return migrate(connect(dsn, database=database), discover(directory), values)
