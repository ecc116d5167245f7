"""The machine a bench ran on, as the record names it: CPU, load, BLAS, library versions."""
from __future__ import annotations

import os
import platform
import sys

from .. import versions


def load_average():
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def busy(load_start, load_end, cpus: int) -> str | None:
    """Why the machine counts as busy for a bench, or None: a 1-minute load average above half
    the CPUs when the bench started, or at its end once the bench's own busy core is taken off.
    On a busy machine the ratios between contenders are unreliable (XLA's thread pool suffers
    more from load than one BLAS thread does)."""
    if not load_start or not cpus:
        return None
    half = cpus / 2
    start, end = load_start[0], (load_end or [0.0])[0]
    if start > half or end - 1 > half:
        return (f"the machine was busy: load average {start:.2f} at the start, {end:.2f} at the "
                f"end, on {cpus} CPUs (quiet means at most {half:g}, the bench's own core "
                "aside): the ratios are unreliable; run again on a quiet machine")
    return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    info = {"cpu": cpu_model(), "logical_cpus": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "load_average": load_average(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "blas": versions.blas_info(), "versions": versions.versions()}
    try:
        with open("/proc/meminfo") as f:
            info["memory_total_MB"] = int(f.readline().split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return info


NATIVE_BLAS_FLAG = "SOFTMAX_PARITY_BENCH_REEXEC"  # set in the re-run: the CORETYPE it dropped


def rerun_with_native_blas(argv: list) -> None:
    """If OPENBLAS_CORETYPE is set (and this is not that re-run already), replace this process
    by `python -m softmax_parity ARGV` without it, so that OpenBLAS picks the kernel for this
    CPU. The dropped value goes to the re-run in NATIVE_BLAS_FLAG: recorded, and it stops a
    loop. Returns only when there is nothing to do."""
    if not os.environ.get("OPENBLAS_CORETYPE") or os.environ.get(NATIVE_BLAS_FLAG):
        return
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env[NATIVE_BLAS_FLAG] = os.environ["OPENBLAS_CORETYPE"]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "softmax_parity", *argv], env)


def coretype_unset_by_bench():
    """The OPENBLAS_CORETYPE that rerun_with_native_blas dropped (None: it did not run)."""
    return os.environ.get(NATIVE_BLAS_FLAG)
