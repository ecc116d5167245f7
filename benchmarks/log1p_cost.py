"""What the log1p form of the softmax family costs (docs/benchmarks.md, "Exactness").

    python benchmarks/log1p_cost.py [--repeats 5]

Times, on one BLAS thread, medians of --repeats:
  - per call, on a (128, 10) float32 batch: numpy_softmax.kernels' logsumexp, log_softmax and
    cross_entropy (m + log1p(r), the shift's rounding put back), beside the textbook form they
    replaced (parity_tests.accuracy's, the log of the shifted sum);
  - one MNIST epoch of train() at the seed's protocol with the reference, exact and fast
    steppers (the fast mode keeps log(sum): it does not change).
Run it with the numpy_softmax of another commit first on PYTHONPATH (a git worktree) to time
that commit's epochs; the per-call rows compare both forms in one run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy_softmax as ns  # noqa: E402
from numpy_softmax import kernels  # noqa: E402
from numpy_softmax.data import load_mnist  # noqa: E402


def per_call_us(f, n: int = 3000) -> float:
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n * 1e6


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error(f"--repeats must be >= 1, got {args.repeats}")
    out = {"numpy_softmax": os.path.dirname(ns.__file__), "numpy": np.__version__,
           "blas": [(i.get("internal_api"), i.get("architecture")) for i in threadpool_info()],
           "load": os.getloadavg()[0]}
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, (128, 10)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    calls = {"logsumexp": lambda: kernels.logsumexp(z, 1),
             "log_softmax": lambda: kernels.log_softmax(z, 1),
             "cross_entropy": lambda: kernels.cross_entropy(z, "ids", y)}
    try:
        from parity_tests.accuracy import IMPLEMENTATIONS
        book = IMPLEMENTATIONS["textbook NumPy (log)"][0]()
        calls.update({"textbook logsumexp": lambda: book["logsumexp"](z),
                      "textbook log_softmax": lambda: book["log_softmax"](z),
                      "textbook cross_entropy": lambda: book["cross_entropy"](z, y)})
    except ImportError:
        pass
    data = load_mnist()
    X, labels = data.train.images, data.train.labels
    with threadpool_limits(1):
        for name, f in calls.items():
            out[f"{name} us"] = statistics.median(per_call_us(f) for _ in range(args.repeats))
        for stepper in ("reference", "exact", "fast"):
            ts = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                ns.train(X, labels, ns.TrainConfig(epochs=1), stepper=stepper)
                ts.append(time.perf_counter() - t)
            out[f"{stepper} epoch ms"] = 1e3 * statistics.median(ts)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
