"""``slawatch sink``'s own errors: one line on stderr, the right exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from slawatch.cli import main


def test_no_broker_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLAWATCH_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("SLAWATCH_CONFIG", raising=False)
    config = tmp_path / "slawatch.yaml"
    config.write_text("sink:\n  batch_max_rows: 100\n")
    assert main(["sink", "--config", str(config)]) == 1
    assert capsys.readouterr().err == (
        "slawatch: no Kafka broker: give --bootstrap, kafka.bootstrap_servers or "
        "$SLAWATCH_KAFKA_BOOTSTRAP (`slawatch kafka start` runs a local one)\n"
    )


def test_bad_sink_setting_names_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "slawatch.yaml"
    config.write_text("sink:\n  batch_max_rows: 0\n")
    assert main(["sink", "--config", str(config), "--bootstrap", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"slawatch: {config}:2: sink.batch_max_rows: ")
    assert "greater than or equal to 1" in err
