"""A real gunicorn server for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from typing import Any


def settings_to_env(settings: Mapping[str, Any], prefix: str = "SCIPLANE_") -> dict[str, str]:
    """Express a settings tree as ``SCIPLANE__A__B=<TOML value>`` variables."""
    env: dict[str, str] = {}

    def walk(node: Mapping[str, Any], path: list[str]) -> None:
        for key, value in node.items():
            if value is None:
                continue  # absent means the default
            if isinstance(value, Mapping) and value:
                walk(value, [*path, key])
            else:
                literal = json.dumps(value) if not isinstance(value, bool) else ("true" if value else "false")
                env[prefix + "_" + "__".join(p.upper() for p in [*path, key])] = literal
    walk(settings, [])
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``gunicorn sciplane.wsgi:app`` on a free loopback port, configured by environment.

    Use as a context manager; ``url`` is the base URL.  The database must be
    migrated beforehand (the server refuses nothing itself: tests control it).
    """

    def __init__(self, settings: Mapping[str, Any], *, workers: int = 2, timeout: float = 30.0,
                 cwd: str | None = None, extra_env: Mapping[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.timeout = timeout
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SCIPLANE")}
        self.env.update(settings_to_env(settings))
        self.env.update(extra_env or {})
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LiveServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "sciplane.wsgi:app", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--worker-class", "gthread", "--threads", "4",
             "--graceful-timeout", "5", "--no-control-socket"],
            env=self.env, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.process.stderr.read().decode(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(self.url + "/health/live", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not become ready")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            # Quick shutdown: a graceful one waits out the clients' keep-alive connections (seconds per test).
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
