"""``slawatch maintenance add|cancel|list`` and ``slawatch exclusions add|list``.

They publish to (and read) the ``maintenance`` and ``exclusions`` topics that the stream
joins with confirmed outages. Input is validated before anything is sent; an error names
the option (``--start: timestamp needs an offset (Z or ±hh:mm)``) and exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from sla.model import EXCLUSION_REASONS, ExclusionEvent, MaintenanceEvent
from slawatch import topics
from slawatch.commands.common import add_kafka_arguments, bootstrap_servers
from slawatch.errors import InputError

_OPTION = {"announced_at": "--announced-at", "sites": "--sites", "site": "--site"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch maintenance`` and ``slawatch exclusions``."""
    _register_maintenance(subparsers)
    _register_exclusions(subparsers)


def _common(parser: argparse.ArgumentParser) -> None:
    add_kafka_arguments(parser)


def _register_maintenance(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    maintenance = subparsers.add_parser(
        "maintenance",
        help="record, cancel and list maintenance windows",
        description=(
            "Maintenance windows are excluded from the month (M in the formula). A window "
            "recorded after the fact re-classifies the outages it overlaps: the stream "
            "re-emits their segments and recomputes the month's ledger."
        ),
    )
    sub = maintenance.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add",
        help="record a maintenance window",
        description=(
            "Publish a maintenance window. Times are ISO 8601 with an offset, e.g. "
            "2026-11-28T22:00+01:00. The same --id again replaces the window."
        ),
    )
    _common(add)
    add.add_argument("--sites", required=True, help='comma-separated site ids, or "*" for all')
    add.add_argument("--start", required=True, help="start, ISO 8601 with an offset")
    add.add_argument("--end", required=True, help="end, ISO 8601 with an offset")
    add.add_argument(
        "--announced-at", default=None, help="when the clients were told (default: now)"
    )
    add.add_argument("--id", default=None, help="window id (default: derived from the window)")
    add.add_argument("--title", default="", help="what is being done")
    add.add_argument("--impact", default="", help="what clients will notice")
    add.add_argument(
        "--regular", action="store_true", help="a regular (recurring, announced) window"
    )
    add.set_defaults(func=_maintenance_add)
    cancel = sub.add_parser(
        "cancel",
        help="cancel a recorded window",
        description="Re-publish the window with cancelled=true; it no longer counts.",
    )
    _common(cancel)
    cancel.add_argument("id", help="the window's id (see `slawatch maintenance list`)")
    cancel.set_defaults(func=_maintenance_cancel)
    listing = sub.add_parser("list", help="list the recorded windows (latest version of each)")
    _common(listing)
    listing.add_argument("--all", action="store_true", help="include cancelled windows")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    listing.set_defaults(func=_maintenance_list)


def _register_exclusions(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exclusions = subparsers.add_parser(
        "exclusions",
        help="record and list exclusions (time that is not the vendor's downtime)",
        description=(
            "An exclusion marks time for which an outage does not count as downtime (the "
            "client's ISP, force majeure, ...). Recorded after the fact, it re-classifies the "
            "overlapping outage segments and the month's ledger is recomputed."
        ),
    )
    sub = exclusions.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="record an exclusion")
    _common(add)
    add.add_argument("--site", required=True, help='the site id, or "*" for every site')
    add.add_argument("--start", required=True, help="start, ISO 8601 with an offset")
    add.add_argument("--end", required=True, help="end, ISO 8601 with an offset")
    add.add_argument("--reason", required=True, choices=EXCLUSION_REASONS)
    add.add_argument("--note", default="", help="free text: the ticket, the evidence")
    add.add_argument("--id", default=None, help="exclusion id (default: derived from it)")
    add.set_defaults(func=_exclusions_add)
    listing = sub.add_parser("list", help="list the recorded exclusions")
    _common(listing)
    listing.add_argument("--format", choices=["text", "json"], default="text")
    listing.set_defaults(func=_exclusions_list)


# --- plumbing ------------------------------------------------------------------------


def _kafka(args: argparse.Namespace) -> tuple[str, str, int]:
    """Bootstrap servers, topic prefix and replication factor for this command."""
    from slawatch.config import load_settings, settings_path

    settings = load_settings(settings_path(args.config))
    bootstrap = bootstrap_servers(args, settings)
    prefix = settings.kafka.topic_prefix if args.topic_prefix is None else args.topic_prefix
    return bootstrap, prefix, settings.kafka.replication_factor


def _validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        event = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        # A model-level error (no field) is the only one there is: end before start.
        option = _OPTION.get(field, f"--{field.replace('_', '-')}") if field else "--end"
        raise InputError(f"{option}: {first['msg'].removeprefix('Value error, ')}") from None
    if event.end <= event.start:  # type: ignore[attr-defined]
        raise InputError("--end: must be after --start")
    return event


def _derived_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def _publish(args: argparse.Namespace, base: str, key: str, event: BaseModel) -> None:
    from stream.calendar_io import ensure_calendar_topic, publish

    bootstrap, prefix, replication = _kafka(args)
    topic = topics.topic(base, prefix)

    async def send() -> None:
        await ensure_calendar_topic(bootstrap, topic, replication)
        await publish(bootstrap, topic, key, event.model_dump_json().encode())

    asyncio.run(send())


def _read(args: argparse.Namespace, base: str, decode: Callable[[bytes], Any]) -> list[Any]:
    from stream.calendar_io import read_all

    bootstrap, prefix, _ = _kafka(args)
    latest: dict[str, Any] = {}
    for key, value in asyncio.run(read_all(bootstrap, topics.topic(base, prefix))):
        try:
            event = decode(value)
        except ValidationError:
            continue  # the stream sends these to the dead-letter topic
        latest[key or getattr(event, "id", None) or value.decode(errors="replace")] = event
    return list(latest.values())


# --- maintenance ---------------------------------------------------------------------


def _maintenance_add(args: argparse.Namespace) -> int:
    sites: list[str] | str = (
        "*"
        if args.sites.strip() == "*"
        else [s.strip() for s in args.sites.split(",") if s.strip()]
    )
    if not sites:
        raise InputError('--sites: give at least one site id, or "*"')
    data = {
        "id": args.id or _derived_id("mw", json.dumps(sites), args.start, args.end),
        "sites": sites,
        "start": args.start,
        "end": args.end,
        "announced_at": args.announced_at or datetime.now(UTC).isoformat(),
        "regular": args.regular,
        "title": args.title,
        "impact": args.impact,
    }
    event: MaintenanceEvent = _validate(MaintenanceEvent, data)
    _publish(args, topics.MAINTENANCE, event.id, event)
    print(f"maintenance {event.id} recorded: {event.start.isoformat()} to {event.end.isoformat()}")
    return 0


def _maintenance_cancel(args: argparse.Namespace) -> int:
    windows = {
        w.id: w for w in _read(args, topics.MAINTENANCE, MaintenanceEvent.model_validate_json)
    }
    window = windows.get(args.id)
    if window is None:
        raise InputError(f"id: no maintenance window {args.id!r} (see `slawatch maintenance list`)")
    if window.cancelled:
        print(f"maintenance {window.id} was already cancelled")
        return 0
    _publish(args, topics.MAINTENANCE, window.id, window.model_copy(update={"cancelled": True}))
    print(f"maintenance {window.id} cancelled")
    return 0


def _maintenance_list(args: argparse.Namespace) -> int:
    windows = _read(args, topics.MAINTENANCE, MaintenanceEvent.model_validate_json)
    shown = sorted((w for w in windows if args.all or not w.cancelled), key=lambda w: w.start)
    if args.format == "json":
        for w in shown:
            print(w.model_dump_json())
        return 0
    print(f"{'id':<20} {'start':<26} {'end':<26} {'sites':<20} state")
    for w in shown:
        sites = "*" if w.sites == "*" else ",".join(w.sites)
        state = "cancelled" if w.cancelled else ("regular" if w.regular else "scheduled")
        print(f"{w.id:<20} {w.start.isoformat():<26} {w.end.isoformat():<26} {sites:<20} {state}")
    return 0


# --- exclusions ----------------------------------------------------------------------


def _exclusions_add(args: argparse.Namespace) -> int:
    data = {
        "id": args.id or _derived_id("ex", args.site, args.reason, args.start, args.end),
        "site": args.site,
        "start": args.start,
        "end": args.end,
        "reason": args.reason,
        "note": args.note,
    }
    event: ExclusionEvent = _validate(ExclusionEvent, data)
    assert event.id is not None
    _publish(args, topics.EXCLUSIONS, event.id, event)
    print(f"exclusion {event.id} recorded: {event.reason} for {event.site}")
    return 0


def _exclusions_list(args: argparse.Namespace) -> int:
    shown = sorted(
        _read(args, topics.EXCLUSIONS, ExclusionEvent.model_validate_json), key=lambda e: e.start
    )
    if args.format == "json":
        for e in shown:
            print(e.model_dump_json())
        return 0
    print(f"{'id':<20} {'start':<26} {'end':<26} {'site':<16} reason")
    for e in shown:
        start, end = e.start.isoformat(), e.end.isoformat()
        print(f"{e.id or '':<20} {start:<26} {end:<26} {e.site:<16} {e.reason}")
    return 0
