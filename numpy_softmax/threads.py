"""How many threads BLAS may use while a block runs, and which kernel it runs, through
threadpoolctl.

The one third-party import of numpy_softmax besides NumPy: threadpoolctl is a core
dependency, and it is imported only when one of these is asked for."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def blas_threads(n: int | None):
    """Run the block with BLAS on n threads (None: leave BLAS as it is). The thread count
    changes how a GEMM splits its sums, hence its rounding: runs that must be bit-identical
    run at the same count."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def blas_kernel() -> str | None:
    """The kernel family the BLAS NumPy uses runs (threadpoolctl's "architecture", e.g.
    OpenBLAS's "SkylakeX" or "Haswell"), None when it does not say. OpenBLAS picks it for the
    CPU unless OPENBLAS_CORETYPE names one."""
    return _blas_info().get("architecture")


def _blas_info() -> dict:
    from threadpoolctl import threadpool_info
    return next((lib for lib in threadpool_info() if lib.get("user_api") == "blas"), {})
