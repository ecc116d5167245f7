"""The parity suite's comparisons: NumPy's results held to TF's within the per-op tolerances of
numpy_softmax.tolerances (TOLERANCES, in ulps of each dtype, each with its reason), and the
error scales those tolerances are counted in.

Every comparison is elementwise:   |numpy - tf| <= ulps * eps * scale + tinies * tiny
(see numpy_softmax.tolerances). Before any value: the shapes and dtypes must match, and where TF
is finite NumPy must be too. OBSERVED records what passing comparisons used, for
python -m parity_tests.measure.
"""
from __future__ import annotations

import numpy as np

from numpy_softmax.tolerances import EPS, MATH_ULPS, TOLERANCES, Tol


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


# --- error scales ---------------------------------------------------------------------------

def softmax64(z) -> np.ndarray:
    """A float64 softmax of z (N, C), for error scales only (computed here, not by either side)."""
    z = np.asarray(z, dtype=np.float64)
    s = np.exp(z - z.max(axis=1, keepdims=True))  # exp cannot overflow
    return s / s.sum(axis=1, keepdims=True)


def max_abs_finite(z, axis=None) -> np.ndarray:
    """max |z| over the finite entries (masked -inf ones count as 0): the magnitude the ops
    round at, masks or not."""
    z = np.asarray(z, dtype=np.float64)
    return np.max(np.abs(np.where(np.isfinite(z), z, 0.0)), axis=axis)


def lse_scale(z, axis=1) -> np.ndarray:
    """max |z| + log C per slice: logsumexp rounds at the max's magnitude, plus the log of a sum
    of up to C terms."""
    return max_abs_finite(z, axis) + np.log(np.shape(z)[axis] if axis is not None else z.size)


def onehot64(labels, C: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 2:
        return np.abs(labels.astype(np.float64))
    Y = np.zeros((labels.shape[0], C))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y  # (N, C)


def scale_logits(X, W, b) -> np.ndarray:
    """|X| @ |W| + |b|  (N, C): the sum of |terms| of each logit."""
    return np.abs(X.astype(np.float64)) @ np.abs(W.astype(np.float64)) + np.abs(b)


def scale_dz(z, labels, z_scale=None) -> np.ndarray:
    """(softmax + |Y|) / N  (N, C): what each entry of dL/dZ = (softmax - Y) / N is rounded
    relative to (the difference itself may cancel to 0). When the logits were computed on each
    side (X @ W + b, rounded differently), z_scale (N,) = the largest scale_logits of each row
    adds their difference: d softmax_c = softmax_c (dz_c - sum_j softmax_j dz_j), so
    + 2 softmax z_scale."""
    N, C = np.shape(z)
    p = softmax64(z)  # (N, C)
    extra = 0.0 if z_scale is None else 2.0 * p * np.asarray(z_scale)[:, None]
    return (p + onehot64(labels, C) + extra) / N


def model_scales(X, W, b, labels):
    """Error scales of loss_and_grads from the model's inputs: (loss, dZ (N, C)), with the
    logits' own rounding carried through (see scale_dz)."""
    X64 = X.astype(np.float64)
    Z = X64 @ W.astype(np.float64) + b  # (N, C)
    z_scale = scale_logits(X, W, b).max(axis=1)  # (N,)
    S = scale_dz(Z, labels, z_scale)  # (N, C)
    loss = np.log(Z.shape[1]) + 2.0 * z_scale.mean()  # a logit off by dz moves L by <= 2 dz
    return loss, S


def scale_grad_W(X, S) -> np.ndarray:
    """|X|.T @ S  (D, C), S (N, C) the scale of dZ's entries (scale_dz)."""
    return np.abs(X.astype(np.float64)).T @ S


def scale_grad_b(S) -> np.ndarray:
    """sum_n S_n  (C,)."""
    return S.sum(axis=0)


def tiny_scale_grad_W(X) -> np.ndarray:
    """1 + sum_n |X_nd|  (D, 1): dW sums N products X_nd dZ_nc, each dZ possibly flushed."""
    return 1.0 + np.abs(X.astype(np.float64)).sum(axis=0)[:, None]


# --- the math properties (NumPy alone) ---------------------------------------------------

def math_slack(name: str, dtype) -> float:
    """MATH_ULPS[name] in units of the dtype's eps."""
    return MATH_ULPS[name][0] * EPS[np.dtype(dtype)]
