"""The machine a bench ran on, as the record names it: CPU, load, BLAS, library versions."""
from __future__ import annotations

import os
import platform

from .. import versions


def load_average():
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


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
