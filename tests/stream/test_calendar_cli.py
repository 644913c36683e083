"""`slawatch maintenance` and `slawatch exclusions`: validation, and a round trip via Kafka."""

from __future__ import annotations

import json

import pytest

from slawatch.cli import main

OK = ["--start", "2026-11-28T22:00+01:00", "--end", "2026-11-28T23:00+01:00"]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["maintenance", "add", "--sites", "s1", "--start", "2026-11-28T22:00", "--end",
          "2026-11-28T23:00Z"], "slawatch: --start: timestamp needs an offset (Z or ±hh:mm)"),
        (["maintenance", "add", "--sites", "s1", "--start", "2026-11-28T22:00Z", "--end",
          "2026-11-28T21:00Z"], "slawatch: --end: end is before start"),
        (["maintenance", "add", "--sites", "s1", "--start", "2026-11-28T22:00Z", "--end",
          "2026-11-28T22:00Z"], "slawatch: --end: must be after --start"),
        (["maintenance", "add", "--sites", " , ", *OK],
         'slawatch: --sites: give at least one site id, or "*"'),
        (["maintenance", "add", "--sites", "s1", "--announced-at", "yesterday", *OK],
         "slawatch: --announced-at: Input should be a valid datetime or date, input is too short"),
        (["exclusions", "add", "--site", "", "--reason", "client_isp", *OK],
         "slawatch: --site: String should have at least 1 character"),
        (["exclusions", "add", "--site", "s1", "--reason", "client_isp", "--start", "soon",
          "--end", "2026-11-28T23:00Z"],
         "slawatch: --start: Input should be a valid datetime or date, input is too short"),
    ],
)  # fmt: skip
def test_bad_input_names_the_option_and_exits_2(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == error


def test_cancel_of_an_unknown_window_names_it(
    kafka_bootstrap: str, topic_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kafka = ["--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix]
    assert main(["maintenance", "cancel", *kafka, "nope"]) == 2
    assert "no maintenance window 'nope'" in capsys.readouterr().err


def test_add_list_cancel_round_trip(
    kafka_bootstrap: str, topic_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kafka = ["--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix]
    assert main(["maintenance", "add", *kafka, "--sites", "s1,s2", "--id", "mw-1",
                 "--title", "db upgrade", *OK]) == 0  # fmt: skip
    assert main(["exclusions", "add", *kafka, "--site", "s1", "--reason", "client_isp", *OK]) == 0
    capsys.readouterr()
    assert main(["maintenance", "list", *kafka, "--format", "json"]) == 0
    (window,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (window["id"], window["sites"], window["start"]) == (
        "mw-1", ["s1", "s2"], "2026-11-28T21:00:00Z",
    )  # fmt: skip
    assert main(["maintenance", "cancel", *kafka, "mw-1"]) == 0
    capsys.readouterr()
    assert main(["maintenance", "list", *kafka, "--format", "json"]) == 0
    assert capsys.readouterr().out == ""  # cancelled windows are hidden
    assert main(["maintenance", "list", *kafka, "--all"]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert main(["exclusions", "list", *kafka, "--format", "json"]) == 0
    (exclusion,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (exclusion["site"], exclusion["reason"]) == ("s1", "client_isp")
    assert exclusion["id"].startswith("ex-")
