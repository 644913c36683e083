"""Grafana's expansion of a panel's SQL, as grafana-clickhouse-datasource does it.

The macros follow the plugin's pkg/macros/macros.go (v4): ``$__timeFilter(c)`` →
``c >= toDateTime(<from s>) AND c <= toDateTime(<to s>)``, ``$__fromTime`` →
``toDateTime(<from s>)``, ``$__fromTime_ms`` → ``fromUnixTimestamp64Milli(<from ms>)``,
``$__timeInterval(c)`` → ``toStartOfInterval(toDateTime(c), INTERVAL <s> second)``,
``$__interval_s`` → seconds, ``$__dateFilter(c)`` → ``c >= toDate('…') AND c <= toDate('…')``;
then Grafana's template variables ``${name}``, ``${name:singlequote}`` and ``$name``.
Anything left starting with ``$`` is an error: the dashboard uses something unexpanded.
"""

from __future__ import annotations

import re
from datetime import datetime

FUNCTION_MACRO = re.compile(
    r"\$__(timeFilter_ms|timeFilter|dateFilter|timeInterval_ms|timeInterval)\(([^()]*)\)"
)
VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


def expand(
    sql: str, start: datetime, end: datetime, interval_s: int, variables: dict[str, str]
) -> str:
    """``sql`` with every macro and template variable replaced."""
    seconds = (int(start.timestamp()), int(end.timestamp()))
    millis = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    interval_s = max(interval_s, 1)

    def function(match: re.Match[str]) -> str:
        name, column = match.group(1), match.group(2).strip()
        if name == "timeFilter":
            return f"{column} >= toDateTime({seconds[0]}) AND {column} <= toDateTime({seconds[1]})"
        if name == "timeFilter_ms":
            return (
                f"{column} >= fromUnixTimestamp64Milli({millis[0]}) AND "
                f"{column} <= fromUnixTimestamp64Milli({millis[1]})"
            )
        if name == "dateFilter":
            return (
                f"{column} >= toDate('{start:%Y-%m-%d}') AND {column} <= toDate('{end:%Y-%m-%d}')"
            )
        if name == "timeInterval":
            return f"toStartOfInterval(toDateTime({column}), INTERVAL {interval_s} second)"
        step_ms = interval_s * 1000
        return f"toStartOfInterval(toDateTime64({column}, 3), INTERVAL {step_ms} millisecond)"

    sql = FUNCTION_MACRO.sub(function, sql)
    for name, value in (
        ("$__fromTime_ms", f"fromUnixTimestamp64Milli({millis[0]})"),
        ("$__toTime_ms", f"fromUnixTimestamp64Milli({millis[1]})"),
        ("$__fromTime", f"toDateTime({seconds[0]})"),
        ("$__toTime", f"toDateTime({seconds[1]})"),
        ("$__interval_s", str(interval_s)),
    ):
        sql = sql.replace(name, value)

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name.startswith("__") or name not in variables:
            raise KeyError(f"unexpanded ${name} in panel SQL")
        value = variables[name]
        return f"'{value}'" if match.group(2) == "singlequote" else value

    return VARIABLE.sub(variable, sql)
