"""The `slawatch` command line: one entry point, one sub-command module per area.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, which adds its
sub-commands; every sub-command sets ``func(args) -> int`` as its default. Errors meant
for the user are raised as :class:`slawatch.errors.UserError` and printed on one line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from slawatch.errors import UserError

COMMAND_MODULES: tuple[str, ...] = (
    "slawatch.commands.sites",
    "slawatch.commands.probe",
    "slawatch.commands.kafka",
    "slawatch.commands.db",
    "slawatch.commands.sink",
    "slawatch.commands.sla",
    "slawatch.commands.stream",
    "slawatch.commands.maintenance",
    "slawatch.commands.web",
    "slawatch.commands.alerts",
    "slawatch.commands.notify",
    "slawatch.commands.support",
    "slawatch.commands.run",
    "slawatch.commands.status",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every area's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="slawatch",
        description=(
            "SLA monitoring pipeline: probes in several regions check client sites, "
            "Kafka carries the results, Faust turns them into confirmed outages, "
            "ClickHouse keeps the monthly ledger the contract is judged on."
        ),
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="logs of long-running commands as plain text or one JSON object per line "
        "(time, level, logger, message); overrides log_format / $SLAWATCH_LOG_FORMAT and "
        "is passed on to child processes",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.log_format is not None:
        # Through the environment: every command's settings and child processes see it.
        os.environ["SLAWATCH_LOG_FORMAT"] = args.log_format
    try:
        status: int = args.func(args)
    except UserError as exc:
        print(f"slawatch: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
