"""`slawatch stream` argument checks and the calendar reader's handling of bad messages."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from slawatch.cli import main
from stream.calendar_reader import apply_record
from stream.processor import Calendar


@pytest.mark.parametrize(
    ("argv", "status", "error"),
    [
        (["stream", "--bootstrap", "127.0.0.1:1", "--batch-size", "0"], 2,
         "slawatch: --batch-size 0: must be positive"),
        (["stream", "--bootstrap", "127.0.0.1:1", "--idle-flush", "-1"], 2,
         "slawatch: --idle-flush -1.0: must be positive"),
        (["stream"], 1, "slawatch: no Kafka broker: give --bootstrap, kafka.bootstrap_servers or "
         "$SLAWATCH_KAFKA_BOOTSTRAP (`slawatch kafka start` runs a local one)"),
    ],
)  # fmt: skip
def test_stream_arguments_are_checked_before_starting(
    argv: list[str],
    status: int,
    error: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SLAWATCH_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("SLAWATCH_CONFIG", raising=False)
    assert main(argv) == status
    assert capsys.readouterr().err.strip() == error


def _record(topic: str, value: bytes, offset: int = 7) -> SimpleNamespace:
    return SimpleNamespace(topic=topic, partition=0, offset=offset, key=b"k", value=value)


def test_bad_calendar_messages_go_to_the_dead_letters_and_good_ones_apply() -> None:
    calendar = Calendar()
    dead: list[bytes] = []
    window = (
        b'{"type":"maintenance","id":"m1","sites":"*","start":"2026-11-02T10:00:00Z",'
        b'"end":"2026-11-02T11:00:00Z","announced_at":"2026-10-01T00:00:00Z"}'
    )
    apply_record(
        calendar, _record("p.maintenance", window), "p.maintenance", lambda k, v: dead.append(v)
    )  # type: ignore[arg-type]
    apply_record(
        calendar,
        _record("p.maintenance", b'{"id":"m2"}'),
        "p.maintenance",
        lambda k, v: dead.append(v),
    )  # type: ignore[arg-type]
    apply_record(
        calendar,
        _record(
            "p.exclusions",
            b'{"site":"s1","start":"2026-11-02T10:00:00Z","end":"2026-11-02T11:00:00Z","reason":"rain"}',
        ),
        "p.maintenance",
        lambda k, v: dead.append(v),
    )  # type: ignore[arg-type]
    assert list(calendar.maintenance) == ["m1"] and calendar.exclusions == {}
    letters = [json.loads(v) for v in dead]
    assert [letter["source"] for letter in letters] == ["p.maintenance/0/7", "p.exclusions/0/7"]
    assert letters[0]["reason"] == "invalid MaintenanceEvent: start: Field required"
    assert letters[1]["reason"].startswith("invalid ExclusionEvent: reason: Input should be")
