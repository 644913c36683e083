"""The per-site processor and the decoding of bad messages, on plain data (no Faust)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from sla.confirmation import ConfirmationConfig
from sla.contract import Contract
from sla.model import CheckResult, ExclusionEvent, MaintenanceEvent
from stream.messages import decode_error
from stream.processor import Calendar, Outputs, SiteProcessor, SiteRecord, new_record
from tests.stream.fixtures import result

TESTDATA = Path(__file__).parent / "testdata"
BASE = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOW = BASE + timedelta(hours=1)


def run(
    processor: SiteProcessor,
    record: SiteRecord,
    checks: list[CheckResult],
    calendar: Calendar,
    first_offset: int = 0,
) -> Outputs:
    out = Outputs()
    triples = [(c, "0", first_offset + i) for i, c in enumerate(checks)]
    processor.process(record, triples, NOW, calendar, out)
    return out


def decoded(pairs: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    return [json.loads(v) for _, v in pairs]


OUTAGE = [
    result(BASE, t, outcome=o)
    for t, o in [(0, "up"), (30, "down"), (60, "down"), (90, "up"), (200, "up"), (300, "up")]
]


@pytest.fixture
def processor() -> SiteProcessor:
    return SiteProcessor(Contract(), lambda site: ConfirmationConfig())


def test_a_batch_gives_outage_segment_ledger_and_status(processor: SiteProcessor) -> None:
    out = run(processor, new_record("s1"), OUTAGE, Calendar())
    assert [m["state"] for m in decoded(out.outages)] == ["opened", "closed"]
    (seg,) = decoded(out.segments)
    assert (seg["label"], seg["start"], seg["end"]) == (
        "downtime",
        "2026-11-02T10:00:30Z",
        "2026-11-02T10:01:30Z",
    )
    (row,) = decoded(out.ledger)
    assert row["month"] == "2026-11" and row["downtime_minutes"] == 1.0
    assert [s["state"] for s in decoded(out.status)] == ["up", "down", "up"]


def test_replayed_offsets_are_skipped(processor: SiteProcessor) -> None:
    record = new_record("s1")
    run(processor, record, OUTAGE, Calendar())
    again = run(processor, record, OUTAGE, Calendar())  # same offsets: a replay after a crash
    assert again.count() == 0


def test_record_roundtrips_through_bytes_and_through_decoded_json(processor: SiteProcessor) -> None:
    record = new_record("s1")
    run(processor, record, OUTAGE, Calendar())
    raw = record.to_bytes()
    assert SiteRecord.from_bytes(raw).to_bytes() == raw
    assert SiteRecord.from_bytes(json.loads(raw)).to_bytes() == raw


def test_late_maintenance_re_emits_segments_and_the_ledger(processor: SiteProcessor) -> None:
    record = new_record("s1")
    calendar = Calendar()
    run(processor, record, OUTAGE, calendar)
    calendar.put_maintenance(
        MaintenanceEvent(id="m1", sites="*", start=BASE + timedelta(seconds=60),
                         end=BASE + timedelta(seconds=120), announced_at=BASE)
    )  # fmt: skip
    out = Outputs()
    assert processor.tick(record, NOW, calendar, out)
    segs = sorted((s["label"], s["start"], s["version"]) for s in decoded(out.segments))
    assert segs == [
        ("downtime", "2026-11-02T10:00:30Z", 2),
        ("maintenance", "2026-11-02T10:01:00Z", 2),
    ]
    (row,) = decoded(out.ledger)
    assert (row["downtime_minutes"], row["maintenance_minutes"]) == (0.5, 1.0)
    # Cancelling it restores the downtime, with yet higher versions.
    calendar.put_maintenance(calendar.maintenance["m1"].model_copy(update={"cancelled": True}))
    out = Outputs()
    processor.tick(record, NOW + timedelta(seconds=1), calendar, out)
    segs = sorted((s["label"], s["end"], s["deleted"], s["version"]) for s in decoded(out.segments))
    assert segs == [
        ("downtime", "2026-11-02T10:01:30Z", False, 3),
        ("maintenance", "2026-11-02T10:01:30Z", True, 3),
    ]
    (later,) = decoded(out.ledger)
    assert later["downtime_minutes"] == 1.0 and later["version"] > row["version"]


def test_exclusion_for_another_site_changes_nothing(processor: SiteProcessor) -> None:
    record = new_record("s1")
    calendar = Calendar()
    run(processor, record, OUTAGE, calendar)
    calendar.put_exclusion(ExclusionEvent(site="s2", start=BASE, end=NOW, reason="client_isp"))
    out = Outputs()
    assert not processor.tick(record, NOW, calendar, out)
    assert out.count() == 0


def test_exclusion_re_labels_the_outage(processor: SiteProcessor) -> None:
    record = new_record("s1")
    calendar = Calendar()
    run(processor, record, OUTAGE, calendar)
    calendar.put_exclusion(ExclusionEvent(site="*", start=BASE, end=NOW, reason="force_majeure"))
    out = Outputs()
    processor.tick(record, NOW, calendar, out)
    (seg,) = decoded(out.segments)
    assert (seg["label"], seg["reason"]) == ("excluded", "force_majeure")
    (row,) = decoded(out.ledger)
    assert (row["downtime_minutes"], row["excluded_minutes"]) == (0.0, 1.0)


def test_future_result_is_a_dead_letter_naming_its_source(processor: SiteProcessor) -> None:
    out = run(processor, new_record("s1"), [result(NOW, 3600)], Calendar(), first_offset=41)
    (letter,) = decoded(out.dead)
    assert letter["source"] == "probe-results/0/41"
    assert letter["reason"].startswith("clock skew: started_at 2026-11-02T12:00:00+00:00")


@pytest.mark.parametrize("path", sorted(TESTDATA.glob("invalid-*.jsonl")), ids=lambda p: p.stem)
def test_invalid_results_give_their_exact_dead_letter_reason(path: Path) -> None:
    expected = path.with_suffix(".error").read_text(encoding="utf-8").strip()
    with pytest.raises(ValidationError) as caught:
        CheckResult.model_validate_json(path.read_bytes().strip())
    assert decode_error(caught.value, "CheckResult") == expected


def test_old_outages_are_pruned_and_their_months_never_recomputed(
    processor: SiteProcessor,
) -> None:
    record = new_record("s1")
    calendar = Calendar()
    run(processor, record, OUTAGE, calendar)
    assert len(record.closed) == 1
    later = BASE + timedelta(days=120)
    checks = [result(later, t, outcome="up") for t in (0, 30, 90)]
    out = Outputs()
    processor.process(
        record, [(c, "0", 100 + i) for i, c in enumerate(checks)], later, calendar, out
    )
    assert record.closed == [] and record.segments == {}
    # A late window in the forgotten month changes nothing (its outages are gone).
    calendar.put_maintenance(
        MaintenanceEvent(id="old", sites="*", start=BASE, end=BASE + timedelta(hours=1),
                         announced_at=BASE)
    )  # fmt: skip
    out = Outputs()
    processor.tick(record, later, calendar, out)
    assert [json.loads(v)["month"] for _, v in out.ledger] == []
