"""Local probe targets: one subprocess serving ``/s/<n>`` on several ports, with a down switch.

Every site ``n`` answers ``200 ok`` until the benchmark posts ``{"sites": [n, ...]}`` to
``/_down`` on the first port; from that instant (returned as ``at``, the server's
``time.time()``) those sites answer ``503``. Run as ``python -m benchmarks.pipeline.targets
--ports K``: it prints the bound ports as one JSON list on stdout, then serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class DownSwitch:
    """Which sites fail, and since when (``time.time()``)."""

    down: frozenset[int] = frozenset()
    at: float | None = None
    requests: int = 0
    history: list[tuple[float, int]] = field(default_factory=list)

    def take_down(self, sites: list[int], now: float) -> float:
        """Sites ``sites`` fail from ``now`` on; returns ``now``."""
        self.down = frozenset(sites)
        self.at = now
        self.history.append((now, len(sites)))
        return now

    def status_of(self, site: int) -> int:
        """The HTTP status site ``site`` answers with now."""
        self.requests += 1
        return 503 if site in self.down else 200


def build_app(switch: DownSwitch) -> web.Application:
    """The target application: ``/s/{n}``, ``POST /_down`` and ``GET /_stats``."""

    async def site(request: web.Request) -> web.Response:
        try:
            number = int(request.match_info["n"])
        except ValueError:
            return web.Response(status=404, text="no such site")
        status = switch.status_of(number)
        return web.Response(status=status, text="ok" if status == 200 else "down")

    async def down(request: web.Request) -> web.Response:
        body = await request.json()
        sites = body.get("sites")
        if not isinstance(sites, list) or not all(isinstance(s, int) for s in sites):
            return web.json_response({"error": "sites: expected a list of integers"}, status=400)
        return web.json_response({"at": switch.take_down(sites, time.time())})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({"requests": switch.requests, "down": len(switch.down)})

    app = web.Application()
    app.router.add_get("/s/{n}", site)
    app.router.add_post("/_down", down)
    app.router.add_get("/_stats", stats)
    return app


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    return sock


async def _serve(port_count: int) -> None:
    runner = web.AppRunner(build_app(DownSwitch()), access_log=None)
    await runner.setup()
    sockets = [_listening_socket() for _ in range(port_count)]
    for sock in sockets:
        await web.SockSite(runner, sock).start()
    print(json.dumps([s.getsockname()[1] for s in sockets]), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


class TargetServer:
    """The target subprocess seen from the benchmark: ports, URLs, the switch, stop by PID."""

    def __init__(self, port_count: int) -> None:
        if port_count < 1:
            raise ValueError("port_count must be at least 1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.pipeline.targets", "--ports", str(port_count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the target server exited before printing its ports")
        self.ports: list[int] = json.loads(line)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def url(self, site: int) -> str:
        """The URL of site number ``site`` (sites are spread over the ports)."""
        return f"http://127.0.0.1:{self.ports[site % len(self.ports)]}/s/{site}"

    def take_down(self, sites: list[int]) -> float:
        """Make ``sites`` fail now; the server's instant (``time.time()``) of the switch."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ports[0]}/_down",
            data=json.dumps({"sites": sites}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return float(json.loads(answer.read())["at"])

    def requests_served(self) -> int:
        """Requests answered on ``/s/<n>`` so far."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[0]}/_stats", timeout=10) as a:
            return int(json.loads(a.read())["requests"])

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL after 10 s."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def main(argv: list[str] | None = None) -> None:
    """Serve the targets (see the module's docstring)."""
    parser = argparse.ArgumentParser(description="benchmark probe targets with a down switch")
    parser.add_argument("--ports", type=int, default=1, help="how many ports to listen on")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.ports))


if __name__ == "__main__":
    main()
