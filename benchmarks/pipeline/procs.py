"""Peak memory and CPU time of a process, read from ``/proc`` (Linux), and stopping one.

``VmHWM`` is the kernel's own high-water mark of the resident set, so the peak is exact even
between samples; CPU time is ``utime + stime`` in seconds.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessUsage:
    """One reading of a process."""

    pid: int
    peak_rss_mib: float
    rss_mib: float
    cpu_s: float


def _status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(f"{key} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        text = stat.read()
    # The command name (field 2) may hold spaces; the fields after it start past its ')'.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def read_usage(pid: int) -> ProcessUsage | None:
    """The process's peak and current RSS and its CPU time; None once it is gone."""
    try:
        return ProcessUsage(
            pid=pid,
            peak_rss_mib=_status_kib(pid, "VmHWM") / 1024,
            rss_mib=_status_kib(pid, "VmRSS") / 1024,
            cpu_s=cpu_seconds(pid),
        )
    except (FileNotFoundError, ProcessLookupError, KeyError):
        return None


def stop_process(process: subprocess.Popen[Any], timeout_s: float = 20.0) -> None:
    """SIGTERM the benchmark's child by its pid; SIGKILL it if it outlives ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
