"""Helpers for the tests that run real server processes: ports, waiting, stopping."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import requests

# Servers started by the tests listen on the loopback, in a range of their own.
PORTS = range(int(os.environ.get("REPRISE_TEST_PORT_FROM", 5500)),
              int(os.environ.get("REPRISE_TEST_PORT_TO", 5600)))


def free_port(taken: Sequence[int] = ()) -> int:
    """A port of the range that nothing listens on now (and not one of ``taken``)."""
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports."""
    ports: list[int] = []
    for _ in range(count):
        ports.append(free_port(ports))
    return ports


def wait_for(url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 60,
             status: int = 200) -> requests.Response:
    """Poll ``url`` until it answers ``status``; fail early if ``process`` ends."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process ended ({process.returncode}) before {url} answered")
        try:
            answer = requests.get(url, timeout=5)
            if answer.status_code == status:
                return answer
            last = answer.status_code
        except requests.ConnectionError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer {status} (last: {last})")


def start(command: Sequence[str], env: Mapping[str, str], cwd: Path | str | None = None,
          log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a process in its own session (so that stopping it stops its children)."""
    if log is None:
        return subprocess.Popen(list(command), env=dict(env), cwd=cwd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                start_new_session=True)
    with log.open("ab") as out:
        return subprocess.Popen(list(command), env=dict(env), cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, as systemd or an operator would; SIGKILL if it does not end in time."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return process.returncode
