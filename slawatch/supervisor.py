"""A child process that `slawatch run` keeps alive: started, restarted if it dies, stopped by PID.

The stream worker (Faust) runs as a child of ``slawatch run``: it owns its event loop and
touches only Kafka, so nothing is lost by giving it a process of its own, and a crash of the
worker never takes the rest of the pipeline down. Its output goes to a log file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger("slawatch.run")


class SupervisedProcess:
    """Runs ``argv`` until stopped, restarting it (with backoff) whenever it exits.

    ``argv`` may be a callable, called before every start: a child given a free port then
    gets a fresh one when it restarts (the last one may have been taken meanwhile).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str] | Callable[[], Sequence[str]],
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.name = name
        self._argv = argv
        self.argv: list[str] = [] if callable(argv) else list(argv)  # the current child's
        self.log_path = log_path
        self.env = env
        self.max_backoff_s = max_backoff_s
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = False

    @property
    def pid(self) -> int | None:
        """The current child's process id (None when not running)."""
        return self.process.pid if self.process and self.process.poll() is None else None

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.argv = list(self._argv() if callable(self._argv) else self._argv)
        with self.log_path.open("ab") as out:
            process = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # Ctrl-C in the terminal reaches run, which stops us
            )
        log.info("%s started (pid %d, log %s)", self.name, process.pid, self.log_path)
        return process

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the child running until ``stop`` is set, then stop it."""
        backoff = 1.0
        try:
            while not stop.is_set():
                self.process = self._spawn()
                started = asyncio.get_running_loop().time()
                while self.process.poll() is None and not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 0.5)
                if stop.is_set():
                    break
                lived = asyncio.get_running_loop().time() - started
                backoff = 1.0 if lived > 60 else min(backoff * 2, self.max_backoff_s)
                self.restarts += 1
                log.warning(
                    "%s exited with status %s; restarting in %.0f s (see %s)",
                    self.name,
                    self.process.returncode,
                    backoff,
                    self.log_path,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
        finally:
            await asyncio.to_thread(self.terminate)

    def terminate(self, timeout_s: float = 15.0) -> None:
        """SIGTERM the child by its PID, SIGKILL it if it has not exited in ``timeout_s``."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            log.warning(
                "%s (pid %d) did not stop in %.0f s: killing it", self.name, process.pid, timeout_s
            )
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait()
