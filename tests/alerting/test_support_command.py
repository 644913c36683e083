"""``slawatch support report``: the month's table, JSON figures and bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slawatch.cli import main

DATA = Path(__file__).with_name("testdata")
ARGS = ["support", "report", "--month", "2026-04", "--now", "2026-05-05T00:00:00Z"]


def test_json_report_measures_business_hours(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--events", str(DATA / "support-april.jsonl"), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_id = {r["request_id"]: r for r in report["requests"]}
    assert set(by_id) == {"R1", "R2"}
    r1, r2 = by_id["R1"], by_id["R2"]
    assert r1["response_hours"] == pytest.approx(2.25)  # Thu 1.5 h + Mon 0.75 h
    assert r1["response_due"] == "2026-04-30T22:00:00+00:00" and r1["response_breached"]
    assert r1["resolution_hours"] is None and not r1["reported_late"]
    assert r2["response_hours"] == pytest.approx(0.75) and not r2["response_breached"]
    assert r2["resolution_hours"] == pytest.approx(3.75) and r2["reported_late"]
    assert [(s["priority"], s["response_breaches"]) for s in report["summary"]] == [
        ("high", 1),
        ("medium", 0),
    ]


def test_text_report_flags_breaches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--events", str(DATA / "support-april.jsonl")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Support requests received in 2026-04: 2")
    assert "R1  high   acme" in out and "RESPONSE-BREACH" in out
    assert "R2  medium acme" in out and "REPORTED-LATE" in out


@pytest.mark.parametrize(
    ("name", "error"),
    [
        (
            "invalid-json.jsonl",
            "1: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        ("invalid-naive-time.jsonl", "2: at: Value error, timestamp needs an offset (Z or ±hh:mm)"),
        ("invalid-priority.jsonl", "1: priority: Input should be 'high', 'medium' or 'low'"),
    ],
)
def test_bad_events_name_file_line_and_field(
    name: str, error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = DATA / name
    assert main([*ARGS, "--events", str(path)]) == 2
    assert capsys.readouterr().err == f"slawatch: {path}:{error}\n"


def test_bad_month(capsys: pytest.CaptureFixture[str]) -> None:
    events = str(DATA / "support-april.jsonl")
    assert main(["support", "report", "--month", "2026-13", "--events", events]) == 2
    assert capsys.readouterr().err.startswith("slawatch: --month: expected a month as YYYY-MM")
