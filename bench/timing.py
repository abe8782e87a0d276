"""Wall-clock samples of one in-process operation, shared by the in-process benchmarks."""

from __future__ import annotations

import time


def timed_samples(fn, rounds: int) -> list[float]:
    """Seconds taken by each of ``rounds`` calls of ``fn``, after one warm-up call."""
    fn()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples
