"""The events file of ``slawatch sla report``: JSON Lines in, contract events out.

One JSON object per line, told apart by ``type``: ``outage``, ``maintenance`` or
``exclusion`` (the models of :mod:`sla.model`). Blank lines are skipped. Validation is
strict: timestamps must be ISO 8601 strings with an offset, booleans must be ``true`` or
``false``, unknown fields are refused. The first problem raises
:class:`~sla.errors.InvalidInputError` with the line number and the field's path.

Pure: the caller reads the file and passes its lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from sla.errors import InvalidInputError
from sla.model import EXCLUSION_REASONS, ExclusionEvent, MaintenanceEvent, OutageEvent

Event = OutageEvent | MaintenanceEvent | ExclusionEvent

_MODELS: dict[str, type[BaseModel]] = {
    "outage": OutageEvent,
    "maintenance": MaintenanceEvent,
    "exclusion": ExclusionEvent,
}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(m) for name, m in _MODELS.items()}
_TIMESTAMP_ERRORS = {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"}


def parse_events(lines: Iterable[str]) -> list[Event]:
    """Every event of a JSON Lines text, in file order (line numbers start at 1)."""
    events: list[Event] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            events.append(parse_event(line, number))
    return events


def parse_event(line: str, number: int | None = None) -> Event:
    """One event from one line of JSON; ``number`` is only used in errors."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not valid JSON ({exc.msg} at column {exc.colno})", line=number
        ) from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"expected a JSON object, got {type(data).__name__}", line=number)
    kind = data.get("type")
    if kind is None:
        raise InvalidInputError(f"missing field (one of {_kinds()})", line=number, field="type")
    if not isinstance(kind, str) or kind not in _MODELS:
        raise InvalidInputError(
            f"unknown type {kind!r} (expected {_kinds()})", line=number, field="type"
        )
    try:
        event: Event = _ADAPTERS[kind].validate_json(line, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A misspelt field shows up as "unknown" and "missing": name the typo first.
        errors.sort(key=lambda e: e["type"] != "extra_forbidden")
        field, message = _describe(errors[0])
        raise InvalidInputError(message, line=number, field=field) from None
    _check_star(event, number)
    return event


def _kinds() -> str:
    return ", ".join(_MODELS)


def _check_star(event: Event, number: int | None) -> None:
    """``"*"`` means every site only where the format says so."""
    if isinstance(event, OutageEvent) and event.site == "*":
        raise InvalidInputError('an outage belongs to one site, not "*"', line=number, field="site")
    if isinstance(event, MaintenanceEvent) and event.sites != "*" and "*" in event.sites:
        raise InvalidInputError(
            'write "sites": "*" (not a list) for every site', line=number, field="sites"
        )


def _describe(error: Any) -> tuple[str | None, str]:
    """The field path and a readable message for one pydantic error."""
    kind: str = error["type"]
    loc: tuple[Any, ...] = error["loc"]
    if loc and loc[0] == "sites":
        # A union (list or "*"): pydantic reports one error per member; say it once.
        return "sites", 'expected a list of site ids or "*"'
    field = _path(loc)
    if kind == "missing":
        return field, "missing field"
    if kind == "extra_forbidden":
        return field, "unknown field"
    if kind in _TIMESTAMP_ERRORS:
        return field, f"expected an ISO 8601 timestamp with an offset, got {error['input']!r}"
    if kind == "literal_error" and field == "reason":
        return (
            field,
            f"unknown reason {error['input']!r} (expected one of {', '.join(EXCLUSION_REASONS)})",
        )
    if kind == "bool_type":
        return field, f"expected true or false, got {error['input']!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not loc and "end is before start" in message:
        return "end", message
    return field, message


def _path(loc: tuple[Any, ...]) -> str | None:
    if not loc:
        return None
    path = str(loc[0])
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
