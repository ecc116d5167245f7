"""How many threads BLAS may use while a block runs, through threadpoolctl.

The one third-party import of numpy_softmax besides NumPy: threadpoolctl is a core
dependency, and it is imported only when a limit is asked for."""
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
