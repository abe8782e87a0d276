"""Processes the benchmark starts: each in its own process group, remembered by PID, stopped by
PID (SIGTERM to the group, SIGKILL after a grace period) in ``finally``, at exit and on SIGTERM."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


class Processes:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: dict[int, tuple[str, subprocess.Popen]] = {}
        atexit.register(self.stop_all)

    def start(self, name: str, argv: list[str], *, env: dict | None = None,
              cwd: str | Path | None = None) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.running[process.pid] = (name, process)
        return process

    def stop(self, process: subprocess.Popen, grace: float = 15.0) -> None:
        """SIGTERM to the process group led by ``process.pid``, SIGKILL if still there."""
        self.running.pop(process.pid, None)
        if process.poll() is not None:
            _kill_group(process.pid, signal.SIGKILL)  # children a dead leader left behind
            return
        _kill_group(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid, signal.SIGKILL)
            process.wait(5)
        _kill_group(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for _name, process in list(self.running.values()):
            self.stop(process, grace=5.0)


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until ``url`` answers 200; raises when the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def descendants(pid: int) -> list[int]:
    """PIDs of every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def worker_rss(pid: int) -> list[float]:
    """RSS (MiB) of each serving process under ``pid``: the leaves of its process tree (gunicorn,
    granian and node cluster workers; the arbiter/primary itself is not a worker)."""
    below = descendants(pid)
    leaves = [p for p in below if not descendants(p)] or [pid]
    return [r for r in (rss_mib(p) for p in leaves) if r is not None]
