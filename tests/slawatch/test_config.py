"""Loading slawatch.yaml: defaults, environment overrides, and an exact error per bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from slawatch.config import ENV_OVERRIDES, Settings, load_settings, settings_path
from slawatch.errors import InputError

TESTDATA = Path(__file__).parent / "testdata"
REPO = Path(__file__).resolve().parents[2]
INVALID = sorted(TESTDATA.glob("invalid-*.yaml"))


def _expected_error(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# error: "), f"{path.name}: first line must be '# error: …'"
    return first.removeprefix("# error: ").replace("{path}", str(path))


def test_there_are_invalid_files_to_check() -> None:
    assert len(INVALID) >= 8


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_each_invalid_file_fails_with_its_exact_error(path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_settings(path, env={})
    assert str(err.value) == _expected_error(path)
    assert err.value.exit_status == 2


def test_errors_never_echo_a_secret() -> None:
    with pytest.raises(InputError) as err:
        load_settings(TESTDATA / "invalid-secret-dsn.yaml", env={})
    assert "hunter2" not in str(err.value)
    with pytest.raises(InputError) as err:
        load_settings(None, env={"SLAWATCH_CLICKHOUSE_DSN": "ftp://u:hunter2@h/db"})
    assert "hunter2" not in str(err.value)


def test_no_file_gives_the_defaults() -> None:
    settings = load_settings(None, env={})
    assert settings == Settings()
    assert settings.kafka.bootstrap_servers is None
    assert settings.clickhouse_dsn() == f"chdb://{Path('.slawatch/clickhouse').resolve()}"


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "slawatch.yaml"
    path.write_text("# nothing yet\n")
    assert load_settings(path, env={}) == Settings()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_settings(tmp_path / "nope.yaml", env={})
    assert str(err.value) == f"{tmp_path / 'nope.yaml'}: no such configuration file"


def test_the_example_file_loads() -> None:
    settings = load_settings(REPO / "slawatch.example.yaml", env={})
    assert [r.name for r in settings.regions] == ["eu-west", "us-east"]
    assert {s.id for s in settings.sites} >= {"demo-health", "demo-home", "demo-tcp"}
    assert settings.kafka.bootstrap_servers is None  # `slawatch run` starts its own broker


def test_environment_overrides_file_values(tmp_path: Path) -> None:
    path = tmp_path / "slawatch.yaml"
    path.write_text(
        "data_dir: /var/lib/slawatch\n"
        "kafka: {bootstrap_servers: 'kafka:9092', partitions: 12}\n"
        "clickhouse: {database: sla}\n"
    )
    env = {
        "SLAWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:39092,127.0.0.1:39093",
        "SLAWATCH_CLICKHOUSE_DSN": "http://u:p@127.0.0.1:8123/",
        "SLAWATCH_DATA_DIR": "/srv/slawatch",
        "SLAWATCH_LOG_FORMAT": "json",
        "SLAWATCH_KAFKA_TOPIC_PREFIX": "staging.",
        "SLAWATCH_KAFKA_REPLICATION_FACTOR": "3",
        "SLAWATCH_CLICKHOUSE_DATABASE": "sla_staging",
        "SLAWATCH_RESULTS_TTL_DAYS": "90",
    }
    settings = load_settings(path, env=env)
    assert settings.kafka.bootstrap_servers == "127.0.0.1:39092,127.0.0.1:39093"
    assert settings.kafka.partitions == 12  # from the file: not overridden
    assert settings.kafka.topic_prefix == "staging."
    assert settings.kafka.replication_factor == 3
    assert settings.clickhouse_dsn() == "http://u:p@127.0.0.1:8123/"
    assert settings.clickhouse.database == "sla_staging"
    assert settings.clickhouse.results_ttl_days == 90
    assert settings.data_dir == Path("/srv/slawatch")
    assert settings.log_format == "json"
    assert set(env) <= set(ENV_OVERRIDES)


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    path = tmp_path / "slawatch.yaml"
    path.write_text("kafka: {bootstrap_servers: 'kafka:9092'}\n")
    settings = load_settings(path, env={"SLAWATCH_KAFKA_BOOTSTRAP": ""})
    assert settings.kafka.bootstrap_servers == "kafka:9092"


@pytest.mark.parametrize(
    ("env", "error"),
    [
        (
            {"SLAWATCH_KAFKA_PARTITIONS": "zero"},
            "SLAWATCH_KAFKA_PARTITIONS (kafka.partitions): Input should be a valid integer, "
            "unable to parse string as an integer",
        ),
        (
            {"SLAWATCH_KAFKA_BOOTSTRAP": "localhost"},
            "SLAWATCH_KAFKA_BOOTSTRAP (kafka.bootstrap_servers): Value error, expected "
            "host:port[,host:port...], e.g. 127.0.0.1:9092",
        ),
        (
            {"SLAWATCH_LOG_FORMAT": "yaml"},
            "SLAWATCH_LOG_FORMAT (log_format): Input should be 'text' or 'json'",
        ),
    ],
)
def test_a_bad_environment_value_names_the_variable(env: dict[str, str], error: str) -> None:
    with pytest.raises(InputError) as err:
        load_settings(None, env=env)
    assert str(err.value) == error


def test_several_errors_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "slawatch.yaml"
    path.write_text("kafka:\n  partitions: 0\nclickhouse:\n  results_ttl_days: -1\n")
    with pytest.raises(InputError) as err:
        load_settings(path, env={})
    assert str(err.value).splitlines() == [
        f"{path}:2: kafka.partitions: Input should be greater than or equal to 1",
        f"{path}:4: clickhouse.results_ttl_days: Input should be greater than or equal to 1",
    ]


def test_settings_path_prefers_the_flag_then_the_variable(tmp_path: Path) -> None:
    flag = tmp_path / "a.yaml"
    assert settings_path(flag, env={"SLAWATCH_CONFIG": "b.yaml"}) == flag
    assert settings_path(None, env={"SLAWATCH_CONFIG": "b.yaml"}) == Path("b.yaml")
    assert settings_path(None, env={}) is None
