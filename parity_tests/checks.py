"""The parity suite's comparisons: NumPy's results held to TF's within the per-op tolerances of
numpy_softmax.tolerances (TOLERANCES, in ulps of each dtype, each with its reason), and the
error scales those tolerances are counted in.

Every comparison is elementwise:   |numpy - tf| <= ulps * eps * scale + tinies * tiny
(see numpy_softmax.tolerances). Before any value: the shapes and dtypes must match, and where TF
is finite NumPy must be too. OBSERVED records what passing comparisons used, for
python -m parity_tests.measure. The error scales live in numpy_softmax.scales (`softmax-parity
check` uses them too); they are imported here under the names the suite has always used.
"""
from __future__ import annotations

import numpy as np

from numpy_softmax.scales import (  # noqa: F401  (used by the suite as checks.<name>)
    lse_scale, math_slack, max_abs_finite, model_scales, onehot64, scale_dz, scale_grad_W,
    scale_grad_b, scale_logits, softmax64, softmax_scale, tiny_scale_grad_W)
from numpy_softmax.tolerances import EPS, TOLERANCES, Tol


def tol(op: str, dtype=None) -> Tol:
    """The tolerance of `op` (the same Tol for both dtypes: it is counted in ulps of each)."""
    return TOLERANCES[op]


# What the suite has seen, (op, dtype) -> worst figures; only passing comparisons are recorded.
OBSERVED: dict[tuple[str, str], dict] = {}


def _record(op: str, dtype, diff: np.ndarray, scale: np.ndarray, allowed: np.ndarray,
            atol: np.ndarray) -> None:
    """Keep the worst |diff|, the worst diff in ulps of the scale (beyond the flush-to-zero
    allowance atol) and the worst fraction of the tolerance used."""
    if diff.size == 0:
        return
    dt = np.dtype(dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        beyond = np.maximum(diff - atol, 0.0)
        ulps = np.where(beyond > 0, beyond / (EPS[dt] * scale), 0.0)
        frac = np.where(diff > 0, diff / allowed, 0.0)
    key = (op, dt.name)
    rec = OBSERVED.setdefault(key, {"max_abs": 0.0, "max_ulps": 0.0, "max_fraction": 0.0,
                                    "comparisons": 0})
    rec["max_abs"] = max(rec["max_abs"], float(np.max(diff)))
    rec["max_ulps"] = max(rec["max_ulps"], float(np.max(ulps)))
    rec["max_fraction"] = max(rec["max_fraction"], float(np.max(frac)))
    rec["comparisons"] += 1


def assert_matches(op: str, numpy_value, tf_value, scale, dtype, tiny_scale=1.0) -> None:
    """Assert NumPy's result matches TF's within TOLERANCES[op] for `dtype`: same shape, same
    dtype, finite wherever TF is finite, then |numpy - tf| <= allowed elementwise.
    tiny_scale multiplies the flush-to-zero allowance where flushed terms are summed (e.g.
    sum_n |X_nd| for dW = X.T @ dZ)."""
    a, e = np.asarray(numpy_value), np.asarray(tf_value)
    assert a.shape == e.shape, f"{op}: NumPy shape {a.shape} != TF shape {e.shape}"
    assert a.dtype == np.dtype(dtype), f"{op}: NumPy dtype {a.dtype}, expected {np.dtype(dtype)}"
    assert e.dtype == np.dtype(dtype), f"{op}: TF dtype {e.dtype}, expected {np.dtype(dtype)}"
    tf_finite = np.isfinite(e)
    bad = tf_finite & ~np.isfinite(a)
    assert not bad.any(), (f"{op}: NumPy is not finite at {int(bad.sum())} entries where TF is "
                           f"finite, e.g. at {np.argwhere(bad)[0].tolist() if a.ndim else ()}")
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{op}: NaN in different places"
    t = tol(op, dtype)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), e.shape)
    allowed = np.broadcast_to(t.allowed(dtype, scale, tiny_scale), e.shape)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.where(tf_finite, np.abs(a64 - e64), 0.0)  # (same shape)
    inf_mismatch = ~tf_finite & ~np.isnan(e) & (a64 != e64)
    assert not inf_mismatch.any(), f"{op}: TF gives +-inf where NumPy differs"
    over = diff > allowed
    if over.any():
        i = tuple(np.argwhere(over)[0]) if a.ndim else ()
        raise AssertionError(
            f"{op} ({np.dtype(dtype).name}): {int(over.sum())} of {diff.size} entries differ by "
            f"more than {t.ulps:g} ulps x scale ({t.scale}); e.g. at {list(i)}: NumPy "
            f"{a64[i]!r}, TF {e64[i]!r}, |diff| {diff[i]:.3g} > allowed {allowed[i]:.3g} "
            f"(max |diff| {diff.max():.3g})")
    atol = np.broadcast_to(t.allowed(dtype, 0.0, tiny_scale), e.shape)  # the tinies part
    _record(op, dtype, diff, scale, allowed, atol)


def record_exact(op: str, dtype, mismatches: int, n: int) -> None:
    """Record an exact comparison (predictions, accuracy) that passed."""
    rec = OBSERVED.setdefault((op, np.dtype(dtype).name),
                              {"max_abs": 0.0, "max_ulps": 0.0, "max_fraction": 0.0,
                               "comparisons": 0})
    rec["max_abs"] = max(rec["max_abs"], float(mismatches))
    rec["comparisons"] += 1
