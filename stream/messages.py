"""Schemas of the stream's own side topics (``late-results``, ``dead-letter``) and fast codecs.

The main topics use the models of :mod:`sla.model`; these two carry what the stream could
not apply, with the reason, so nothing is dropped silently.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sla.model import CheckResult, UtcDatetime


class LateResult(BaseModel):
    """A check result older than the site's watermark (topic ``late-results``, version 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    id: str  # the result's own id: redeliveries deduplicate
    site: str
    result: CheckResult
    watermark: UtcDatetime
    reason: str
    received_at: UtcDatetime


class DeadLetter(BaseModel):
    """A message the stream could not use (topic ``dead-letter``, version 1).

    ``value`` is the original payload as text (invalid UTF-8 replaced), cut to 10 000
    characters; ``source`` is ``topic/partition/offset`` so the original can be found.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    source: str
    key: str | None
    reason: str
    value: str
    received_at: UtcDatetime


def decode_error(exc: ValidationError, model: str) -> str:
    """A one-line reason naming the first invalid field (or an unknown schema version)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(message)"
    if where == "schema_version":
        return f"unknown {model} schema_version {first.get('input')!r} (this stream reads 1)"
    if first["type"] == "json_type":  # the record has no value at all
        return "empty record (tombstone): a message must carry a value"
    if first["type"] == "json_invalid":
        return f"not valid JSON: {first['msg'].removeprefix('Invalid JSON: ')}"
    return f"invalid {model}: {where}: {first['msg'].removeprefix('Value error, ')}"
