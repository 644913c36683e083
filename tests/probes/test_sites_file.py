"""The sites file: the valid example loads; every invalid-*.yaml fails with its exact error."""

from __future__ import annotations

from pathlib import Path

import pytest

from probes.sites import HttpAssertions
from probes.sites_file import SitesFileError, load_sites_file
from probes.targets import parse_host_port

TESTDATA = Path(__file__).parent / "testdata"
INVALID = sorted(TESTDATA.glob("invalid-*.yaml"))


def test_valid_file_loads() -> None:
    loaded = load_sites_file(TESTDATA / "valid-sites.yaml")
    assert [s.id for s in loaded.sites] == ["acme-shop", "acme-db", "acme-cert", "acme-dns"]
    assert loaded.clients[0].support_contacts == ["ops@acme.example", "cto@acme.example"]
    shop = loaded.sites[0].assertions
    assert isinstance(shop, HttpAssertions) and shop.json_equals == "ok"


def test_every_invalid_file_has_its_expected_error() -> None:
    assert len(INVALID) >= 10
    for path in INVALID:
        assert path.with_suffix(".error").exists(), f"{path.name} has no .error file"


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_file_fails_with_exact_error(path: Path) -> None:
    expected = path.with_suffix(".error").read_text().rstrip("\n").replace("{file}", str(path))
    with pytest.raises(SitesFileError) as caught:
        load_sites_file(path)
    assert str(caught.value) == expected
    assert caught.value.exit_status == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SitesFileError, match=r"nope.yaml: cannot read: No such file"):
        load_sites_file(tmp_path / "nope.yaml")


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "clients: [{id: acme}]\n"
        "sites:\n"
        "  - {id: a, client: acme, kind: tcp, target: 'db:0'}\n"
        "  - {id: b, client: acme, kind: dns, target: 'bad host'}\n"
    )
    with pytest.raises(SitesFileError) as caught:
        load_sites_file(path)
    assert str(caught.value).splitlines() == [
        f"{path}:3: site 'a': target: 'db:0' has an invalid port '0'",
        f"{path}:4: site 'b': target: 'bad host' is not a valid host name or IP address",
    ]


@pytest.mark.parametrize(
    ("target", "default", "expected"),
    [
        ("db.example:5432", None, ("db.example", 5432)),
        ("[::1]:8443", None, ("::1", 8443)),
        ("::1", 443, ("::1", 443)),
        ("example.com", 443, ("example.com", 443)),
        ("10.0.0.1:22", None, ("10.0.0.1", 22)),
    ],
)
def test_host_port(target: str, default: int | None, expected: tuple[str, int]) -> None:
    assert tuple(parse_host_port(target, default)) == expected


@pytest.mark.parametrize("target", ["db", "db:", "db:70000", "db:x", "bad_host name:1", ":80"])
def test_host_port_rejects(target: str) -> None:
    with pytest.raises(ValueError):
        parse_host_port(target)
