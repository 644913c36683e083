"""``slawatch web`` as a user runs it: its own process, its own embedded store."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from slawatch.cli import build_parser, main

CONFIG = """\
data_dir: {data}
clients:
  - id: acme
    name: ACME
  - id: hidden
    private: true
    token: t0ken
sites:
  - id: shop
    client: acme
    name: Shop <b>bold</b>
    kind: http
    target: https://shop.example/health
  - id: vault
    client: hidden
    kind: tcp
    target: vault.example:443
"""


def _slawatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "slawatch", *args]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "slawatch.yaml"
    path.write_text(CONFIG.format(data=tmp_path / "data"), encoding="utf-8")
    return path


def test_web_without_a_database_says_what_to_run(tmp_path: Path) -> None:
    result = subprocess.run(
        _slawatch("web", "--config", str(_config(tmp_path)), "--port", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "does not exist yet: run `slawatch db migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_web_prints_its_address_and_serves(tmp_path: Path) -> None:
    config = _config(tmp_path)
    subprocess.run(
        _slawatch("db", "migrate", "--config", str(config)),
        check=True,
        timeout=60,
        capture_output=True,
    )
    process = subprocess.Popen(
        _slawatch("web", "--config", str(config), "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("slawatch web: serving the status page on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert "Shop &lt;b&gt;bold&lt;/b&gt;" in page
        assert "No data yet" in page  # an empty store: unknown, not up
        assert "vault" not in page
        with urllib.request.urlopen(url + "api/v1/sites", timeout=10) as response:
            assert b'"shop"' in response.read()
    finally:
        process.terminate()  # our own child, by its pid
        status = process.wait(timeout=15)
    assert status == 0  # SIGTERM is a clean stop


def test_help_explains_private_clients(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["web", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "private: true" in text and "--port" in text and "--sites" in text


def test_a_port_out_of_range_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["web", "--port", "70000"]) == 2
    assert capsys.readouterr().err == "slawatch: --port 70000: must be between 0 and 65535\n"
