"""``slawatch sla report`` in-process: hand-computed months, output formats, bad input."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import pytest

from slawatch.cli import main

TESTDATA = Path(__file__).parent.parent / "sla" / "testdata"

CONTRACT_YAML = """\
timezone: Europe/Brussels        # IANA zone in which calendar months are cut
target_pct: 99.9
business_hours: {start: "09:00", end: "17:30", timezone: EST}
holidays: BE
notice_business_days: 5
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _jsonl(*events: dict[str, object]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def outage(site: str, start: str, end: str) -> dict[str, object]:
    return {"type": "outage", "site": site, "start": start, "end": end}


def maintenance(
    id: str, sites: object, start: str, end: str, announced: str, **flags: bool
) -> dict[str, object]:
    return {
        "type": "maintenance",
        "id": id,
        "sites": sites,
        "start": start,
        "end": end,
        "announced_at": announced,
        **flags,
    }


def exclusion(site: str, start: str, end: str, reason: str) -> dict[str, object]:
    return {"type": "exclusion", "site": site, "start": start, "end": end, "reason": reason}


def run(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    events: str,
    *args: str,
    contract: str = CONTRACT_YAML,
) -> tuple[int, str, str]:
    c = _write(tmp_path, "contract.yaml", contract)
    e = _write(tmp_path, "events.jsonl", events)
    status = main(["sla", "report", "--contract", str(c), "--events", str(e), *args])
    out, err = capsys.readouterr()
    return status, out, err


def report_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, events: str, *args: str
) -> dict:  # type: ignore[type-arg]
    status, out, err = run(capsys, tmp_path, events, "--format", "json", *args)
    assert (status, err) == (0, "")
    return json.loads(out)  # type: ignore[no-any-return]


def pct(numerator: int, denominator: int) -> float:
    return float(Fraction(numerator, denominator) * 100)


# --- hand-computed months ---------------------------------------------------------------

MARCH = _jsonl(
    # Straddles the start of March (2026-02-28T23:00Z in Brussels): 30 min in March.
    outage("acme", "2026-02-28T22:30:00Z", "2026-02-28T23:30:00Z"),
    maintenance(
        "m-all", "*", "2026-03-07T01:00:00Z", "2026-03-07T03:00:00Z", "2026-02-20T10:00:00Z"
    ),
    maintenance(
        "m-acme",
        ["acme"],
        "2026-03-07T02:00:00Z",
        "2026-03-07T04:00:00Z",
        "2026-02-20T10:00:00Z",
        regular=True,
    ),
    maintenance(
        "m-cancelled",
        ["acme", "beta"],
        "2026-03-14T01:00:00Z",
        "2026-03-14T05:00:00Z",
        "2026-02-20T10:00:00Z",
        cancelled=True,
    ),
    outage("acme", "2026-03-07T03:30:00+00:00", "2026-03-07T06:00:00+01:00"),  # 03:30-05:00Z
    exclusion("acme", "2026-03-07T03:00:00Z", "2026-03-07T04:30:00Z", "client_isp"),
    # Ends after March (2026-03-31T22:00Z, CEST): 30 min in March.
    outage("beta", "2026-03-31T21:30:00Z", "2026-03-31T23:00:00Z"),
    outage("beta", "2026-03-20T10:00:00Z", "2026-03-20T10:20:00Z"),
    exclusion("*", "2026-03-20T10:00:00Z", "2026-03-20T10:10:00Z", "force_majeure"),
)


def test_march_dst_platform_wide_and_overlapping_maintenance(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    got = report_json(capsys, tmp_path, MARCH, "--month", "2026-03")
    # T = 31 days x 1440 min - 60 (DST starts on 29 March) = 44 580 min.
    # acme: M = m-all ∪ m-acme = 01:00-04:00 = 180 (the cancelled window counts for nothing).
    #   Outage in March: 30 (straddling) + 90 (03:30-05:00) = 120; minus maintenance
    #   (03:30-04:00) = 90; the exclusion covers 04:00-04:30 of that: excluded 30, D = 60.
    #   A = (44580 - 180 - 60) / (44580 - 180) = 44340 / 44400 -> 99.8648..., missed.
    # beta: M = m-all = 120. Outage in March: 30 + 20 = 50; the "*" exclusion takes 10:
    #   D = 40, excluded 10. A = (44580 - 120 - 40) / 44460 = 44420 / 44460 -> 99.91, met.
    assert got == {
        "month": "2026-03",
        "sites": [
            {
                "site": "acme",
                "total_minutes": 44580.0,
                "maintenance_minutes": 180.0,
                "downtime_minutes": 60.0,
                "excluded_minutes": 30.0,
                "availability_pct": pct(44340, 44400),
                "target_pct": 99.9,
                "met": False,
            },
            {
                "site": "beta",
                "total_minutes": 44580.0,
                "maintenance_minutes": 120.0,
                "downtime_minutes": 40.0,
                "excluded_minutes": 10.0,
                "availability_pct": pct(44420, 44460),
                "target_pct": 99.9,
                "met": True,
            },
        ],
        # m-all: announced Fri 20 Feb, starts Fri 6 Mar 20:00 EST; between: 23-27 Feb and
        # 2-5 Mar = 9 business days; evening in EST: outside business hours.
        "maintenance": [
            {
                "id": "m-all",
                "kind": "scheduled",
                "notice_business_days": 9,
                "compliant": True,
                "violations": [],
            },
            {
                "id": "m-acme",
                "kind": "regular",
                "notice_business_days": 9,
                "compliant": True,
                "violations": [],
            },
        ],
    }


def test_text_format_shows_the_budget_left(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = run(capsys, tmp_path, MARCH, "--month", "2026-03")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "SLA report 2026-03 (month cut in Europe/Brussels, target 99.9 %)"
    assert "BUDGET LEFT MIN" in lines[2]
    # acme: (44580 - 180) x 0.001 - 60 = -15.6; beta: 44460 x 0.001 - 40 = 4.46.
    assert lines[3].split() == [
        "acme",
        "44580.00",
        "180.00",
        "60.00",
        "30.00",
        "99.86486",
        "%",
        "NO",
        "-15.60",
    ]
    assert lines[4].split() == [
        "beta",
        "44580.00",
        "120.00",
        "40.00",
        "10.00",
        "99.91003",
        "%",
        "yes",
        "4.46",
    ]
    assert any(line.startswith("m-acme") and "regular" in line for line in lines)
    assert "m-cancelled" not in out


OCTOBER = _jsonl(
    # Announced Mon 12 Oct 04:00 EST, starts Wed 14 Oct 10:00 EST: 1 business day -> emergency,
    # allowed in business hours.
    maintenance(
        "e-1", ["shop"], "2026-10-14T15:00:00Z", "2026-10-14T16:00:00Z", "2026-10-12T09:00:00Z"
    ),
    # Regular, Mon 19 Oct 21:00 EST (ISO week 43): notice 2-18 Oct = 2, 5-9, 12-16 = 11.
    maintenance(
        "r-1",
        ["shop"],
        "2026-10-20T02:00:00Z",
        "2026-10-20T03:00:00Z",
        "2026-10-01T12:00:00Z",
        regular=True,
    ),
    # Regular again in week 43, Thu 22 Oct 15:00 EST: business hours and weekly limit.
    maintenance(
        "r-2",
        ["shop"],
        "2026-10-22T20:00:00Z",
        "2026-10-22T21:00:00Z",
        "2026-10-01T12:00:00Z",
        regular=True,
    ),
    maintenance(
        "s-other", ["other"], "2026-10-24T02:00:00Z", "2026-10-24T03:00:00Z", "2026-10-01T12:00:00Z"
    ),
    outage("shop", "2026-10-14T15:30:00Z", "2026-10-14T16:30:00Z"),
    outage("shop", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"),  # the long night of DST
    outage("other", "2026-10-05T00:00:00Z", "2026-10-05T05:00:00Z"),
)


def test_october_one_site_with_emergency_and_violations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    got = report_json(capsys, tmp_path, OCTOBER, "--month", "2026-10", "--site", "shop")
    # T = 31 x 1440 + 60 (DST ends on 25 Oct) = 44 700. M = 3 windows x 60 = 180.
    # D = 30 (16:00-16:30 after e-1) + 60 = 90. A = 44430 / 44520 -> 99.7978..., missed.
    assert got["sites"] == [
        {
            "site": "shop",
            "total_minutes": 44700.0,
            "maintenance_minutes": 180.0,
            "downtime_minutes": 90.0,
            "excluded_minutes": 0.0,
            "availability_pct": pct(44430, 44520),
            "target_pct": 99.9,
            "met": False,
        }
    ]
    assert got["maintenance"] == [
        {
            "id": "e-1",
            "kind": "emergency",
            "notice_business_days": 1,
            "compliant": True,
            "violations": [],
        },
        {
            "id": "r-1",
            "kind": "regular",
            "notice_business_days": 11,
            "compliant": True,
            "violations": [],
        },
        {
            "id": "r-2",
            "kind": "regular",
            "notice_business_days": 14,
            "compliant": False,
            "violations": ["business_hours", "weekly_limit"],
        },
    ]


def test_a_month_entirely_under_maintenance_has_no_availability(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = _jsonl(
        maintenance(
            "all-feb", "*", "2026-01-31T23:00:00Z", "2026-02-28T23:00:00Z", "2026-01-01T00:00:00Z"
        ),
        outage("acme", "2026-02-10T00:00:00Z", "2026-02-10T01:00:00Z"),
    )
    got = report_json(capsys, tmp_path, events, "--month", "2026-02")
    assert got["sites"][0] == {
        "site": "acme",
        "total_minutes": 40320.0,
        "maintenance_minutes": 40320.0,
        "downtime_minutes": 0.0,
        "excluded_minutes": 0.0,
        "availability_pct": None,
        "target_pct": 99.9,
        "met": None,
    }
    status, out, _ = run(capsys, tmp_path, events, "--month", "2026-02")
    assert status == 0 and out.splitlines()[3].split()[-3:] == ["n/a", "n/a", "n/a"]


def test_the_issue_example_keys_in_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = _jsonl(
        maintenance(
            "m-1",
            ["acme"],
            "2026-01-10T02:00:00Z",
            "2026-01-10T04:00:00Z",
            "2025-12-29T10:00:00+01:00",
        ),
        outage("acme", "2026-01-20T10:00:00Z", "2026-01-20T10:42:30Z"),
        exclusion("acme", "2026-01-20T10:30:00Z", "2026-01-20T11:00:00Z", "client_isp"),
    )
    status, out, err = run(capsys, tmp_path, events, "--month", "2026-01", "--format", "json")
    assert (status, err) == (0, "") and out.count("\n") == 1
    # Notice: 29 Dec -> 9 Jan (EST): 30, 31 Dec, 2, 5-8 Jan (1 Jan is a holiday) = 7.
    assert out == (
        '{"month": "2026-01", "sites": [{"site": "acme", "total_minutes": 44640.0, '
        '"maintenance_minutes": 120.0, "downtime_minutes": 30.0, "excluded_minutes": 12.5, '
        '"availability_pct": 99.93261455525607, "target_pct": 99.9, "met": true}], '
        '"maintenance": [{"id": "m-1", "kind": "scheduled", "notice_business_days": 7, '
        '"compliant": true, "violations": []}]}\n'
    )


def test_a_later_line_cancels_an_announced_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    announced = maintenance(
        "m-1", "*", "2026-01-10T02:00:00Z", "2026-01-10T04:00:00Z", "2025-12-20T10:00:00Z"
    )
    events = _jsonl(
        outage("acme", "2026-01-10T02:00:00Z", "2026-01-10T03:00:00Z"),
        announced,
        announced | {"cancelled": True},
    )
    got = report_json(capsys, tmp_path, events, "--month", "2026-01")
    assert got["sites"][0]["maintenance_minutes"] == 0.0
    assert got["sites"][0]["downtime_minutes"] == 60.0
    assert got["maintenance"] == []


def test_the_exact_boundary_meets_the_target(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # April 2026: 30 days = 43 200 min; 43.2 min down is exactly 99.90 %.
    events = _jsonl(outage("acme", "2026-04-10T10:00:00Z", "2026-04-10T10:43:12Z"))
    got = report_json(capsys, tmp_path, events, "--month", "2026-04")
    assert got["sites"][0]["met"] is True
    assert got["sites"][0]["availability_pct"] == 99.9


def test_site_filter_and_unknown_site(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    got = report_json(capsys, tmp_path, OCTOBER, "--month", "2026-10", "--site", "other")
    assert [s["site"] for s in got["sites"]] == ["other"]
    assert [m["id"] for m in got["maintenance"]] == ["s-other"]
    status, out, err = run(
        capsys, tmp_path, OCTOBER, "--month", "2026-10", "--site", "nope", "--format", "json"
    )
    assert status == 0
    assert json.loads(out)["sites"] == []
    assert err.startswith("slawatch: warning: site 'nope' is not named in ")


def test_events_from_standard_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = _write(tmp_path, "contract.yaml", "")  # empty: the contract's defaults
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO(_jsonl(outage("acme", "2026-04-10T10:00:00Z", "2026-04-10T11:00:00Z"))),
    )
    status = main(
        [
            "sla",
            "report",
            "--contract",
            str(contract),
            "--events",
            "-",
            "--month",
            "2026-04",
            "--format",
            "json",
        ]
    )
    assert status == 0
    assert json.loads(capsys.readouterr().out)["sites"][0]["downtime_minutes"] == 60.0


# --- bad input: each file paired with its exact error ---------------------------------

INVALID_EVENTS = {
    "invalid-not-json.jsonl": (
        "2: not valid JSON (Expecting property name enclosed in double quotes at column 63)"
    ),
    "invalid-not-object.jsonl": "1: expected a JSON object, got list",
    "invalid-missing-type.jsonl": "1: type: missing field (one of outage, maintenance, exclusion)",
    "invalid-unknown-type.jsonl": (
        "3: type: unknown type 'incident' (expected outage, maintenance, exclusion)"
    ),
    "invalid-unknown-reason.jsonl": (
        "1: reason: unknown reason 'weather' (expected one of client_isp, force_majeure, "
        "internet_systemic, client_equipment, client_bandwidth, client_action, third_party, "
        "beyond_control)"
    ),
    "invalid-missing-field.jsonl": "3: end: missing field",
    "invalid-unknown-field.jsonl": "1: sitee: unknown field",
    "invalid-no-offset.jsonl": "1: announced_at: timestamp needs an offset (Z or ±hh:mm)",
    "invalid-epoch-timestamp.jsonl": (
        "1: start: expected an ISO 8601 timestamp with an offset, got 1768903200"
    ),
    "invalid-bad-timestamp.jsonl": (
        "1: start: expected an ISO 8601 timestamp with an offset, got '2026-01-20T25:00:00Z'"
    ),
    "invalid-end-before-start.jsonl": "2: end: end is before start",
    "invalid-bad-bool.jsonl": "1: cancelled: expected true or false, got 'yes'",
    "invalid-sites.jsonl": '1: sites: expected a list of site ids or "*"',
    "invalid-outage-star.jsonl": '1: site: an outage belongs to one site, not "*"',
}

INVALID_CONTRACTS = {
    "invalid-time-with-seconds.yaml": (
        '3: business_hours.end: expected a time as "HH:MM" (quote it in YAML), got 63000'
    ),
    "invalid-unknown-setting.yaml": "3: notice_days: unknown setting",
    "invalid-zone.yaml": "1: timezone: unknown time zone 'Europe/Bruxelles'",
    "invalid-country.yaml": "2: holidays: unknown country code 'XX' for public holidays (e.g. BE)",
    "invalid-target.yaml": "2: target_pct: Input should be less than or equal to 100",
    "invalid-hours-order.yaml": (
        "2: business_hours: business hours must end after they start (end > start)"
    ),
    "invalid-yaml-syntax.yaml": "3: not valid YAML: expected ',' or ']', but got '<stream end>'",
    "invalid-not-mapping.yaml": "1: expected a mapping of settings, got list",
}


def test_every_invalid_file_is_paired_with_its_error() -> None:
    on_disk = {p.name for p in TESTDATA.glob("invalid-*")}
    assert on_disk == set(INVALID_EVENTS) | set(INVALID_CONTRACTS)


@pytest.mark.parametrize("name", sorted(INVALID_EVENTS))
def test_bad_events_file(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    contract = _write(tmp_path, "contract.yaml", CONTRACT_YAML)
    path = TESTDATA / name
    status = main(
        ["sla", "report", "--contract", str(contract), "--events", str(path), "--month", "2026-01"]
    )
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err == f"slawatch: {path}:{INVALID_EVENTS[name]}\n"


@pytest.mark.parametrize("name", sorted(INVALID_CONTRACTS))
def test_bad_contract_file(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    events = _write(
        tmp_path,
        "events.jsonl",
        _jsonl(outage("acme", "2026-01-10T00:00:00Z", "2026-01-10T01:00:00Z")),
    )
    path = TESTDATA / name
    status = main(
        ["sla", "report", "--contract", str(path), "--events", str(events), "--month", "2026-01"]
    )
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err == f"slawatch: {path}:{INVALID_CONTRACTS[name]}\n"


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "January", "2026-01-01"])
def test_malformed_month(month: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, tmp_path, "", "--month", month)
    assert (status, out) == (2, "")
    assert err == f"slawatch: --month: expected a month as YYYY-MM, got {month!r}\n"


def test_missing_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    contract = _write(tmp_path, "contract.yaml", CONTRACT_YAML)
    missing = tmp_path / "nope.jsonl"
    status = main(
        [
            "sla",
            "report",
            "--contract",
            str(contract),
            "--events",
            str(missing),
            "--month",
            "2026-01",
        ]
    )
    out, err = capsys.readouterr()
    assert (status, out, err) == (
        2,
        "",
        f"slawatch: {missing}: cannot read: No such file or directory\n",
    )
    status = main(
        [
            "sla",
            "report",
            "--contract",
            str(missing),
            "--events",
            str(contract),
            "--month",
            "2026-01",
        ]
    )
    out, err = capsys.readouterr()
    assert (status, out, err) == (
        2,
        "",
        f"slawatch: {missing}: cannot read: No such file or directory\n",
    )


def test_events_file_that_is_not_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    contract = _write(tmp_path, "contract.yaml", CONTRACT_YAML)
    events = tmp_path / "events.jsonl"
    events.write_bytes(b'{"type": "outage", "site": "caf\xe9"}\n')
    status = main(
        [
            "sla",
            "report",
            "--contract",
            str(contract),
            "--events",
            str(events),
            "--month",
            "2026-01",
        ]
    )
    out, err = capsys.readouterr()
    assert (status, out, err) == (2, "", f"slawatch: {events}: not UTF-8 text (byte 31)\n")


def test_empty_events_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    got = report_json(capsys, tmp_path, "\n\n", "--month", "2026-01")
    assert got == {"month": "2026-01", "sites": [], "maintenance": []}
    status, out, err = run(capsys, tmp_path, "", "--month", "2026-01")
    assert (status, err) == (0, "")
    assert "(no site)" in out and "(none)" in out


def test_help_explains_the_formula_and_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sla", "report", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "A = (T - M - D) / (T - M) x 100" in text
    assert '{"type":"exclusion","site":S or "*"' in text and "--format {text,json}" in text
