"""What ran: library versions, Python, platform, BLAS threads. Recorded with every result."""
from __future__ import annotations

import importlib.metadata
import platform
import sys


def versions(extra=("tensorflow", "tensorboard", "matplotlib", "threadpoolctl")) -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform(),
           "machine": platform.machine(), "softmax-parity": version("softmax-parity"),
           "numpy": version("numpy")}
    for name in extra:
        v = version(name)
        if v is not None:
            out[name] = v
    return out


def version(name: str) -> str | None:
    """The installed version of distribution `name`, or None if it is not installed."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def blas_info() -> list[dict]:
    """threadpoolctl's view of the BLAS libraries loaded (kernel, threads), if it is installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for d in threadpool_info() if d.get("user_api") == "blas"]
