"""The HTTP load generator for single requests: wrk (``/usr/bin/wrk``), its output parsed."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .report import Measurement

LUA = Path(__file__).parent / "lua"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse(output: str, seconds: float) -> Measurement:
    """wrk's summary (run with ``--latency``) → rate of 2xx/3xx responses, p50/p99, errors."""
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(non2xx.group(1)) if non2xx else 0
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket:
        errors += sum(int(g) for g in socket.groups())
    duration = re.search(r"requests in ([\d.]+)(us|ms|s|m)", output)
    elapsed = _ms(duration.group(1) + duration.group(2)) / 1000 if duration else seconds
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    ok = max(total - (int(non2xx.group(1)) if non2xx else 0), 0)
    return Measurement(rate=ok / elapsed if elapsed else None,
                       p50_ms=_ms(latency["50"]) if "50" in latency else None,
                       p99_ms=_ms(latency["99"]) if "99" in latency else None,
                       ok=ok, errors=errors, seconds=elapsed)


def run(url: str, *, seconds: float, connections: int = 32, threads: int = 2,
        script: str | None = None, env: dict | None = None) -> Measurement:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(int(seconds), 1)}s", "--latency",
            "--timeout", "10s"]
    if script:
        argv += ["-s", str(LUA / script)]
    argv.append(url)
    done = subprocess.run(argv, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse(done.stdout, seconds)
