"""How far NumPy and TensorFlow may drift apart in `compare`, per dtype, each with its reason.
The one place these numbers live; `compare --tol NAME=VALUE` overrides one for a run.

Why they drift at all: both compute the same formulas on the same batches from the same start,
but the GEMMs X @ W and X.T @ dZ sum 128 or 784 products in a different order (OpenBLAS vs
TF's Eigen/oneDNN kernels), and the softmax and the mean round differently. Each step's
gradient differs by a few ulps (~3e-7 relative in float32, measured on one batch); 12,870 SGD
steps (30 x 429) carry that along. Softmax regression's loss is convex and SGD with a small
constant step contracts such perturbations rather than amplifying them, so the drift stays at
the rounding level and does not grow with the epochs (see README, section tf, for measurements).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import UsageError


@dataclass(frozen=True)
class Tolerances:
    loss_rel: float        # every epoch: |L_numpy - L_tf| / |L_numpy|
    W_rel: float           # after the last epoch: max |W_numpy - W_tf| / max |W_numpy|
    W_abs: float | None    # after the last epoch: max |W_numpy - W_tf| (None: not checked)
    test_accuracy: float   # |test acc numpy - test acc tf|
    test_predictions: int  # how many of the test predictions may differ


REASONS = {
    "loss_rel": "an epoch's mean loss sums 429 batch losses that differ by a few ulps each; "
                "float32 ulp is 1.2e-7, 1e-5 is ~100 ulps of headroom",
    "W_rel": "measured ~5e-7 after 30 float32 epochs; 1e-5 leaves 20x room for other BLAS "
             "kernels and thread counts without hiding a real bug (a 1% wrong gradient moves "
             "W by ~1e-3 relative)",
    "W_abs": "float64 rounding is 2^29 times finer than float32: measured ~1e-16; 1e-12 still "
             "catches any float32 step sneaking into a float64 run (that gives ~1e-8)",
    "test_accuracy": "two test images out of 10,000: predictions may flip only where two "
                     "logits tie to within rounding",
    "test_predictions": "as test_accuracy: at most 2 of 10,000 argmaxes may differ",
}

COMPARE = {
    "float32": Tolerances(loss_rel=1e-5, W_rel=1e-5, W_abs=None, test_accuracy=2e-4,
                          test_predictions=2),
    "float64": Tolerances(loss_rel=1e-12, W_rel=1e-10, W_abs=1e-12, test_accuracy=2e-4,
                          test_predictions=2),
}


def for_dtype(dtype: str, overrides: dict[str, str] | None = None) -> Tolerances:
    """The tolerances of `dtype`, with NAME=VALUE overrides (strings, from the command line)."""
    tol = COMPARE[dtype]
    changes = {}
    for name, text in (overrides or {}).items():
        if name not in REASONS:
            raise UsageError(f"unknown tolerance {name!r}; choose one of {', '.join(REASONS)}")
        try:
            value = int(text) if name == "test_predictions" else float(text)
        except ValueError:
            raise UsageError(f"tolerance {name} needs a number, got {text!r}") from None
        if not value >= 0:
            raise UsageError(f"tolerance {name} must be >= 0, got {text!r}")
        changes[name] = value
    return dataclasses.replace(tol, **changes)


def as_dict(tol: Tolerances) -> dict:
    return {name: {"limit": getattr(tol, name), "reason": REASONS[name]} for name in REASONS}
