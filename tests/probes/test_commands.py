"""``slawatch probe`` and ``slawatch sites`` refuse bad input before touching Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest

from slawatch.cli import main

TESTDATA = Path(__file__).parent / "testdata"


@pytest.fixture(autouse=True)
def no_kafka_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLAWATCH_KAFKA_BOOTSTRAP", "SLAWATCH_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_probe_unknown_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "slawatch.yaml"
    config.write_text("regions:\n  - name: eu-west\n  - name: us-east\n")
    assert main(["probe", "--region", "ap-south", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        "slawatch: --region 'ap-south' is not configured (regions: eu-west, us-east)\n"
    )


def test_probe_bad_reference_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "slawatch.yaml"
    config.write_text("regions:\n  - name: eu-west\n    reference_targets: ['1.1.1.1']\n")
    assert main(["probe", "--region", "eu-west", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        "slawatch: regions[eu-west].reference_targets: '1.1.1.1' must be host:port\n"
    )


def test_probe_without_kafka(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--region", "local"]) == 1
    assert capsys.readouterr().err.startswith("slawatch: no Kafka broker: give --bootstrap")


def test_sites_check(capsys: pytest.CaptureFixture[str]) -> None:
    path = TESTDATA / "valid-sites.yaml"
    assert main(["sites", "check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: 4 sites, 1 clients: valid\n"


def test_sites_list_without_kafka(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sites", "list"]) == 1
    assert "no Kafka broker" in capsys.readouterr().err
