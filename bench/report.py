"""What ``make bench`` reports: each workload's rate for us and the peer, the ratio, latencies,
and the issue's targets checked against them (PASS/FAIL; a FAIL is reported, never raised).

Pure data and arithmetic, no timing: ``tests/unit/test_bench_report.py`` covers it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Measurement:
    """One side's result of one workload. ``rate`` is successful operations per second;
    ``None`` with ``not_implemented`` when that side has no such feature."""

    rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    not_implemented: bool = False
    note: str = ""
    #: measured, but without something a target requires (e.g. a new ID token on refresh)
    lacks: str = ""
    #: resident memory per worker process (MiB) at the end, and at the start (the soak)
    rss_mib: float | None = None
    rss_start_mib: float | None = None

    @classmethod
    def missing(cls, note: str) -> Measurement:
        return cls(not_implemented=True, note=note)


@dataclass
class Workload:
    key: str
    title: str
    unit: str = "req/s"
    ours: Measurement | None = None
    peer: Measurement | None = None
    #: what the ratio is taken against when there is no peer (e.g. the hash-bound limit)
    reference: float | None = None
    reference_label: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """ours / peer, else ours / reference; None when either side has no rate."""
        base = self.peer.rate if self.peer is not None else self.reference
        if self.ours is None or self.ours.rate is None or not base:
            return None
        return self.ours.rate / base


@dataclass
class Target:
    """``value(results) op threshold``; the value is a quotient of two looked-up figures."""

    name: str
    numerator: str      # "workload.side.field", e.g. "flows_cheap.ours.rate"
    denominator: str    # the same form, or "workload.reference"
    threshold: float
    op: str = ">="      # ">=" for rates, "<=" for latency ratios


@dataclass
class Verdict:
    name: str
    status: str         # PASS | FAIL | MISSING
    value: float | None
    threshold: float
    op: str
    reason: str = ""


@dataclass
class Results:
    workloads: dict[str, Workload] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def add(self, workload: Workload) -> Workload:
        self.workloads[workload.key] = workload
        return workload


def lookup(results: Results, path: str) -> tuple[float | None, str]:
    """The figure at ``path`` and, when there is none, why."""
    key, _, rest = path.partition(".")
    workload = results.workloads.get(key)
    if workload is None:
        return None, f"{key} not measured"
    if rest == "reference":
        return workload.reference, "" if workload.reference else f"{key}: no reference"
    side, _, attr = rest.partition(".")
    measurement = getattr(workload, side, None)
    if measurement is None:
        return None, f"{key}.{side} not measured"
    if measurement.not_implemented:
        return None, f"{key}.{side} not implemented" + (f" ({measurement.note})" if measurement.note else "")
    if measurement.lacks and attr in ("", "rate"):
        return None, f"{key}.{side} lacks {measurement.lacks}"
    value = getattr(measurement, attr or "rate")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, f"{key}.{side}.{attr} has no value"
    return float(value), ""


def check(results: Results, target: Target) -> Verdict:
    num, why_num = lookup(results, target.numerator)
    den, why_den = lookup(results, target.denominator)
    absent = "not implemented" in why_num or " lacks " in why_num
    if num is None or den is None or den == 0:
        status = "FAIL" if absent else "MISSING"
        return Verdict(target.name, status, None, target.threshold, target.op,
                       why_num or why_den or "zero denominator")
    value = num / den
    passed = value >= target.threshold if target.op == ">=" else value <= target.threshold
    return Verdict(target.name, "PASS" if passed else "FAIL", value, target.threshold, target.op)


def p99_targets(keys: list[str]) -> list[Target]:
    """The issue: p99 latency no worse than 2x the peer's at the same concurrency."""
    return [Target(f"p99 {key} <= 2x peer", f"{key}.ours.p99_ms", f"{key}.peer.p99_ms", 2.0, "<=")
            for key in keys]


#: the issue's Targets section (issue 9), in its order
TARGETS = [
    Target("login flows, cheap hash >= 0.5x peer", "flows_cheap.ours.rate", "flows_cheap.peer.rate", 0.5),
    Target("login flows, Argon2id >= 75% of hash-bound limit", "flows_argon2.ours.rate",
           "flows_argon2.reference", 0.75),
    Target("refresh with rotation + new ID token >= 0.5x peer", "refresh.ours.rate", "refresh.peer.rate", 0.5),
    Target("client_credentials opaque >= 0.5x peer", "cc_opaque.ours.rate", "cc_opaque.peer.rate", 0.5),
    Target("client_credentials JWT (RFC 9068) >= 0.75x peer", "cc_jwt.ours.rate", "cc_jwt.peer.rate", 0.75),
    Target("discovery >= 0.5x peer", "discovery.ours.rate", "discovery.peer.rate", 0.5),
    Target("JWKS >= 0.5x peer", "jwks.ours.rate", "jwks.peer.rate", 0.5),
    *p99_targets(["discovery", "jwks", "cc_opaque", "userinfo", "refresh", "flows_cheap"]),
    Target("flows after 1,000,000 rows of history >= 0.9x fresh", "flows_history.ours.rate",
           "flows_history.reference", 0.9),
    Target("flows with the national population >= 0.9x fresh", "flows_population.ours.rate",
           "flows_population.reference", 0.9),
    Target("schools_client ID-token verification >= 80% of raw RS256", "verify.ours.rate",
           "verify.reference", 0.8),
    Target("soak: our worker RSS grows <= 10% (end vs after warm-up)", "soak.ours.rss_mib",
           "soak.ours.rss_start_mib", 1.10, "<="),
]


def verdicts(results: Results, targets: list[Target] = TARGETS) -> list[Verdict]:
    return [check(results, target) for target in targets]


def _fmt_rate(m: Measurement | None) -> str:
    if m is None:
        return "—"
    if m.not_implemented:
        return "not implemented"
    return "—" if m.rate is None else f"{m.rate:,.1f}"


def _fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(results: Results) -> str:
    """The workloads as a fixed-width table: ours, the peer's (or the reference), ratio, p50/p99."""
    head = (f"{'workload':44} {'unit':8} {'ours':>12} {'peer/ref':>12} {'ratio':>7}  "
            f"{'p50 ms':>13} {'p99 ms':>15}  errors")
    lines = [head, "-" * len(head)]
    for w in results.workloads.values():
        other = _fmt_rate(w.peer) if w.peer is not None else (
            f"{w.reference:,.1f}" if w.reference else "—")
        ratio = "—" if w.ratio is None else f"{w.ratio:.2f}x"
        o, p = w.ours or Measurement(), w.peer or Measurement()
        p50 = f"{_fmt_ms(o.p50_ms)}/{_fmt_ms(p.p50_ms)}"
        p99 = f"{_fmt_ms(o.p99_ms)}/{_fmt_ms(p.p99_ms)}"
        errors = f"{o.errors}/{p.errors}" if (o.errors or p.errors) else ""
        lines.append(f"{w.title[:44]:44} {w.unit:8} {_fmt_rate(w.ours):>12} {other:>12} {ratio:>7}  "
                     f"{p50:>13} {p99:>15}  {errors}")
        for note in (w.note, o.note, p.note if w.peer else "",
                     f"ours lacks {o.lacks}" if o.lacks else ""):
            if note:
                lines.append(f"    {note}")
    return "\n".join(lines)


def verdict_lines(found: list[Verdict]) -> str:
    lines = []
    for v in found:
        value = "—" if v.value is None else f"{v.value:.2f}"
        lines.append(f"{v.status:7} {v.name:58} {value:>7} (target {v.op} {v.threshold:g})"
                     + (f"  {v.reason}" if v.reason else ""))
    passed = sum(v.status == "PASS" for v in found)
    lines.append(f"targets: {passed} of {len(found)} passed")
    return "\n".join(lines)


def to_json(results: Results, found: list[Verdict]) -> dict:
    return {
        "meta": results.meta,
        "workloads": {k: {**asdict(w), "ratio": w.ratio} for k, w in results.workloads.items()},
        "targets": [asdict(v) for v in found],
        **results.extra,
    }


def write(results: Results, found: list[Verdict], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "results.json"
    path.write_text(json.dumps(to_json(results, found), indent=2, ensure_ascii=False) + "\n")
    (directory / "report.txt").write_text(table(results) + "\n\n" + verdict_lines(found) + "\n")
    return path
