"""``slawatch sla report``: recompute a month of the contract from an events file.

Everything here is I/O (reading files, printing); the computation is :func:`sla.report.
build_report` and the output :mod:`sla.render`, so a report read from the store can reuse
both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote

from sla.calendar import parse_month
from sla.contract import Contract
from sla.contract_file import parse_contract
from sla.errors import InvalidInputError
from sla.events import Event, parse_events
from sla.render import render_json, render_text
from sla.report import build_report
from slawatch.errors import InputError

_DESCRIPTION = """\
Compute the contract's monthly availability per site from exported events (--events), or
from the events the sink stored in ClickHouse (no --events: --config / --dsn name the store):

  A = (T - M - D) / (T - M) x 100

T is the month in the contract's time zone (DST months are an hour shorter or longer), M the
union of the site's non-cancelled maintenance windows, D the site's outages minus maintenance
minus exclusions. A meets the target when A >= target_pct, compared exactly.

The events file is JSON Lines, one object per line:
  {"type":"outage","site":S,"start":T,"end":T}
  {"type":"maintenance","id":ID,"sites":[S,...] or "*","start":T,"end":T,
   "announced_at":T,"regular":false,"cancelled":false}
  {"type":"exclusion","site":S or "*","start":T,"end":T,"reason":R}
Timestamps are ISO 8601 with an offset (Z or +hh:mm). R is one of client_isp,
force_majeure, internet_systemic, client_equipment, client_bandwidth, client_action,
third_party, beyond_control. A later maintenance line with the same id replaces the earlier.

Bad input exits with status 2 and one line on stderr naming the file, line and field.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch sla report``."""
    sla = subparsers.add_parser("sla", help="the contract: monthly availability reports")
    commands = sla.add_subparsers(dest="sla_command", metavar="SUBCOMMAND", required=True)
    report = commands.add_parser(
        "report",
        help="a month's availability per site and its maintenance, from an events file",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "--contract",
        type=Path,
        metavar="FILE",
        help="contract YAML (timezone, target_pct, business_hours, holidays, "
        "notice_business_days); an empty file means the defaults. Required with --events; "
        "without --events the configuration's contract: section is used",
    )
    report.add_argument(
        "--events",
        type=Path,
        metavar="FILE",
        help="events JSON Lines file ('-' reads standard input); without it the events "
        "are read from the ClickHouse store (outages, maintenance, exclusions)",
    )
    report.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="without --events: slawatch.yaml naming the store (default: $SLAWATCH_CONFIG, "
        "else the embedded engine under .slawatch)",
    )
    report.add_argument(
        "--dsn",
        metavar="DSN",
        help="without --events: the store, chdb:///abs/path or http://user:pass@host:8123 "
        "(overrides clickhouse.dsn)",
    )
    report.add_argument(
        "--month", required=True, metavar="YYYY-MM", help="calendar month in the contract's zone"
    )
    report.add_argument("--site", metavar="ID", help="report only this site")
    report.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a table for people, with the downtime budget left (default); "
        "json: one JSON object",
    )
    report.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Build the report and print it; bad input raises :class:`InputError` (exit 2)."""
    try:
        parse_month(args.month)
    except ValueError as exc:
        raise InputError(f"--month: {exc}") from None
    if args.events is None:
        contract, events = _from_store(args)
    else:
        if args.contract is None:
            raise InputError("--contract: required with --events")
        contract = load_contract(args.contract)
        events = load_events(args.events)
    report = build_report(contract, events, args.month, site=args.site)
    if args.site is not None and not report.sites:
        print(
            f"slawatch: warning: site {args.site!r} is not named in "
            f"{args.events or 'the store'}; "
            "no site to report",
            file=sys.stderr,
        )
    print(render_json(report) if args.format == "json" else render_text(report))
    return 0


def _from_store(args: argparse.Namespace) -> tuple[Contract, list[Event]]:
    """The contract and the stored events; through a live ``slawatch run`` if one holds them.

    With the embedded ClickHouse, a running ``slawatch run`` holds the store: its local admin
    API (found through ``<data_dir>/run.json``) serves the same events the store would.
    """
    from slawatch.commands.run import DEFAULT_CONFIG
    from slawatch.commands.sink import read_store_events
    from slawatch.config import load_settings, settings_path
    from slawatch.instance import RunningInstance

    config = settings_path(args.config)
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG
    settings = load_settings(config)
    contract = settings.contract if args.contract is None else load_contract(args.contract)
    instance = None if args.dsn else RunningInstance.find(settings.data_dir)
    if instance is None:
        return contract, read_store_events(config, args.dsn, args.site)
    query = f"?site={quote(args.site)}" if args.site else ""
    lines = instance.fetch(f"/events{query}").decode("utf-8").split("\n")
    try:
        return contract, parse_events(lines)
    except InvalidInputError as exc:
        raise InputError(exc.located(f"slawatch run (pid {instance.pid})")) from None


def load_contract(path: Path) -> Contract:
    """The contract in ``path``; errors name the file, the line and the setting."""
    try:
        return parse_contract(_read(path))
    except InvalidInputError as exc:
        raise InputError(exc.located(str(path))) from None


def load_events(path: Path) -> list[Event]:
    """The events in ``path`` (``-``: standard input); errors name file, line and field."""
    text = sys.stdin.read() if str(path) == "-" else _read(path)
    try:
        return parse_events(text.split("\n"))
    except InvalidInputError as exc:
        raise InputError(exc.located(str(path))) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
