"""The running ``slawatch run`` of a data folder, and how other commands reach it.

With the embedded ClickHouse, one process holds the store. ``slawatch run`` writes
``<data_dir>/run.json`` (its pid and the address of its local admin API, bound to
127.0.0.1), so ``slawatch status`` and ``slawatch sla report`` read through it instead
of failing on the held store.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from slawatch.errors import UserError
from slawatch.processes import pid_is_running

STATE_FILE = "run.json"


@dataclass(frozen=True)
class RunningInstance:
    """Where a live ``slawatch run`` answers."""

    pid: int
    admin_url: str
    status_page: str
    bootstrap: str

    def write(self, data_dir: Path) -> Path:
        """Record this instance under ``data_dir``."""
        path = data_dir / STATE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def find(cls, data_dir: Path) -> RunningInstance | None:
        """The live instance recorded under ``data_dir``, if its process is still there."""
        path = data_dir / STATE_FILE
        try:
            instance = cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        return instance if pid_is_running(instance.pid) else None

    def fetch(self, path: str, timeout_s: float = 30.0) -> bytes:
        """GET ``path`` from the admin API; errors say what failed."""
        url = self.admin_url.rstrip("/") + path
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()
            raise UserError(
                f"slawatch run (pid {self.pid}) answered {exc.code}: {detail}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise UserError(
                f"slawatch run (pid {self.pid}) does not answer at {self.admin_url}: {exc}"
            ) from None

    def fetch_json(self, path: str) -> Any:
        """GET ``path`` and decode its JSON."""
        return json.loads(self.fetch(path))


def remove(data_dir: Path, pid: int) -> None:
    """Remove the state file if it is still ``pid``'s."""
    path = data_dir / STATE_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass
