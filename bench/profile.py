"""Where a worker spends its CPU under load: py-spy samples every process of our server while
login flows run, and the samples are summed per function (self and inclusive time)."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"^(.*) (\d+)$")
_FRAME = re.compile(r"^(.*?) \((.*?)(?::\d+)?\)$")


def start(pid: int, seconds: float, raw: Path) -> subprocess.Popen:
    """py-spy recording ``pid`` and its subprocesses (the workers) for ``seconds``."""
    spy = Path(sys.executable).parent / "py-spy"
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
                             "--duration", str(max(int(seconds), 1)), "--format", "raw",
                             "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    function, filename = match.groups()
    for marker in ("site-packages/", "/work/", "lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{function} ({filename})"


def summarize(raw_text: str, top: int = 15) -> dict:
    """{'samples': n, 'self': [(function, share)], 'inclusive': [(function, share)]}"""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw_text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        stack, count = match.group(1), int(match.group(2))
        frames = [_name(f) for f in stack.split(";") if f and not f.startswith("process ")
                  and not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    share = (lambda c: [(name, round(n / total, 4)) for name, n in c.most_common(top)]) if total else (lambda c: [])
    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}


def finish(process: subprocess.Popen, raw: Path, timeout: float) -> dict:
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    if not raw.exists():
        return {"error": (err or b"").decode(errors="replace")[-500:] or "py-spy wrote nothing"}
    text = raw.read_text()
    with gzip.open(raw.with_suffix(raw.suffix + ".gz"), "wt") as packed:
        packed.write(text)
    raw.unlink()
    return summarize(text)


def lines(summary: dict) -> str:
    if "error" in summary:
        return f"profile: {summary['error']}"
    out = [f"profile: {summary['samples']} samples (py-spy, CPU only, both workers)",
           "  self time:"]
    out += [f"    {share:6.1%}  {name}" for name, share in summary["self"]]
    out.append("  inclusive time:")
    out += [f"    {share:6.1%}  {name}" for name, share in summary["inclusive"]]
    return "\n".join(out)
