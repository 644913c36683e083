"""Who holds an embedded (chDB) store: an advisory lock file next to the data.

chDB is meant to let one process open a data path, but a second process is not reliably
refused (its ``status`` lock is not always taken; measured with chdb 4.4 / ClickHouse 26.9),
and two engines on one path corrupt each other. So a long-running writer (``slawatch sink``)
holds an exclusive ``flock`` on ``<path>/slawatch.owner`` for its lifetime, with its pid in
the file, and readers such as ``slawatch sla report`` check it first and say who holds it.
The kernel releases the lock when the process dies, even by SIGKILL.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from slawatch.errors import UserError

LOCK_NAME = "slawatch.owner"
_held: list[IO[str]] = []  # kept open (and locked) until the process exits


def _message(path: Path, pid: str) -> str:
    who = f"process {pid}" if pid else "another process"
    return (
        f"the embedded ClickHouse at {path} is held by {who} (a running slawatch sink or "
        "slawatch run): chDB lets one process open a path; stop that process, read through "
        "its HTTP API, or use a ClickHouse server"
    )


def hold(path: Path) -> None:
    """Take the store at ``path`` for this process, or fail naming the holder."""
    path.mkdir(parents=True, exist_ok=True)
    handle = (path / LOCK_NAME).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip()
        handle.close()
        raise UserError(_message(path, pid)) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    _held.append(handle)


def ensure_free(path: Path) -> None:
    """Fail, naming the holder, when another process holds the store at ``path``."""
    lock = path / LOCK_NAME
    if not lock.exists():
        return
    with lock.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = handle.read().strip()
            if pid != str(os.getpid()):
                raise UserError(_message(path, pid)) from None
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
