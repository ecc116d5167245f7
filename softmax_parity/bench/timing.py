"""Timing helpers of the bench: statistics of repeats, and seconds per call of a function."""
from __future__ import annotations

import time

import numpy as np


def stats(seconds: list) -> dict:
    s = np.asarray(seconds, dtype=np.float64)
    return {"median_s": float(np.median(s)), "min_s": float(s.min()), "max_s": float(s.max()),
            "n": int(s.size)}


def time_call(f, min_seconds: float, repeats: int) -> dict:
    """Seconds per call of f(): the loop count doubles until one loop takes min_seconds,
    then `repeats` loops are timed."""
    f()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        if time.perf_counter() - t0 >= min_seconds or n >= 1 << 20:
            break
        n *= 2
    per = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        per.append((time.perf_counter() - t0) / n)
    return {**stats(per), "calls_per_loop": n}
