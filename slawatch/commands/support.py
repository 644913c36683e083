"""``slawatch support report``: a month's support requests against the contract's targets."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from sla.model import SupportEvent
from sla.support import PrioritySummary, SupportMeasure
from slawatch.errors import InputError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``slawatch support report``."""
    parser = subparsers.add_parser(
        "support",
        help="support requests: response and resolution times in business hours",
        description="Support requests (contract art. 2.2, 3 and 4.2).",
    )
    sub = parser.add_subparsers(dest="support_command", metavar="COMMAND", required=True)
    report = sub.add_parser(
        "report",
        help="a month's requests, response/resolution business hours and breaches",
        description=(
            "Read support events (JSON lines: request_id, step received|acknowledged|"
            "resolved, at, priority high|medium|low, client, project_id, owner_email, "
            "form_name, impact, incident_at) and report the requests received in MONTH "
            "(contract time zone): response time (received → first acknowledged or "
            "resolved) and resolution time in business hours of the contract calendar, "
            "the contract's targets per priority, breaches (an unanswered request breaches "
            "once --now passes its deadline) and requests reported more than "
            "contract.late_report_days after the incident. Exit status 0 even with "
            "breaches; 2 for bad input (file:line: field: problem)."
        ),
    )
    report.add_argument("--events", type=Path, required=True, help="JSON-lines file, - for stdin")
    report.add_argument("--month", required=True, help="YYYY-MM, in the contract's time zone")
    report.add_argument(
        "--config",
        type=Path,
        default=None,
        help="slawatch.yaml for the contract (default: $SLAWATCH_CONFIG, else defaults)",
    )
    report.add_argument(
        "--now",
        default=None,
        help="judge open requests at this instant (ISO 8601 with offset; default: the clock)",
    )
    report.add_argument("--format", choices=["text", "json"], default="text")
    report.set_defaults(func=_report)


def parse_support_events(text: str, source: str) -> list[SupportEvent]:
    """Support events from JSON lines; blank lines and ``#`` comments are skipped."""
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: invalid JSON: {exc.msg}") from None
        try:
            events.append(SupportEvent.model_validate(data))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(line)"
            raise InputError(f"{source}:{number}: {field}: {first['msg']}") from None
    return events


def _report(args: argparse.Namespace) -> int:
    from sla.calendar import BusinessCalendar, parse_month
    from sla.support import fold, measure, month_requests, summarise
    from slawatch.config import load_settings, settings_path

    contract = load_settings(settings_path(args.config)).contract
    try:
        parse_month(args.month)
    except ValueError as exc:
        raise InputError(f"--month: {exc}") from None
    now = _parse_now(args.now)
    source = str(args.events)
    try:
        text = sys.stdin.read() if source == "-" else args.events.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
    requests = fold(parse_support_events(text, source))
    calendar = BusinessCalendar.from_contract(contract)
    chosen = month_requests(requests.values(), args.month, contract)
    results = [measure(r, contract, calendar, now) for r in chosen]
    summary = summarise(results)
    if args.format == "json":
        print(json.dumps(_as_json(args.month, results, summary), indent=2, sort_keys=True))
    else:
        print(_as_text(args.month, results, summary))
    return 0


def _parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--now: not an ISO 8601 instant: {value!r}") from None
    if parsed.tzinfo is None:
        raise InputError("--now: needs an offset (Z or ±hh:mm)")
    return parsed.astimezone(UTC)


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _as_text(month: str, results: list[SupportMeasure], summary: list[PrioritySummary]) -> str:
    lines = [f"Support requests received in {month}: {len(results)}", ""]
    lines.append(
        f"{'priority':<9}{'requests':>9}{'answered':>9}{'resp.breach':>12}"
        f"{'resol.breach':>13}{'mean resp h':>12}{'max resp h':>11}"
    )
    for s in summary:
        lines.append(
            f"{s.priority:<9}{s.requests:>9}{s.responded:>9}{s.response_breaches:>12}"
            f"{s.resolution_breaches:>13}{_hours(s.mean_response_hours):>12}"
            f"{_hours(s.max_response_hours):>11}"
        )
    lines.append("")
    for r in results:
        request = r.request
        flags = [
            name
            for name, on in (
                ("RESPONSE-BREACH", r.response_breached),
                ("RESOLUTION-BREACH", r.resolution_breached),
                ("REPORTED-LATE", r.late_report),
            )
            if on
        ]
        lines.append(
            f"{request.request_id}  {request.priority or '?':<6} {request.client or '-'}  "
            f"received {request.received_at:%Y-%m-%d %H:%M} UTC  "
            f"response {_hours(r.response_hours)} h (target {r.response_target or '-'})  "
            f"resolution {_hours(r.resolution_hours)} h (target {r.resolution_target or '-'})"
            + (f"  {' '.join(flags)}" if flags else "")
        )
    return "\n".join(lines)


def _as_json(
    month: str, results: list[SupportMeasure], summary: list[PrioritySummary]
) -> dict[str, object]:
    return {
        "month": month,
        "summary": [vars(s) for s in summary],
        "requests": [
            {
                **r.request.model_dump(mode="json"),
                "response_hours": r.response_hours,
                "resolution_hours": r.resolution_hours,
                "response_target_hours": _num(r.response_target),
                "resolution_target_hours": _num(r.resolution_target),
                "response_due": r.response_due.isoformat() if r.response_due else None,
                "resolution_due": r.resolution_due.isoformat() if r.resolution_due else None,
                "response_breached": r.response_breached,
                "resolution_breached": r.resolution_breached,
                "reported_late": r.late_report,
            }
            for r in results
        ],
    }


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
