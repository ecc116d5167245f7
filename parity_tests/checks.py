"""How far NumPy may be from TensorFlow, per op and dtype, each with its reason: the one place.

Every comparison is elementwise:   |numpy - tf| <= ulps * eps * scale + atol
  eps    the dtype's machine epsilon (float32 1.2e-7, float64 2.2e-16)
  scale  the op's error scale: the magnitude its rounding error is proportional to (for a sum
         that is the sum of the magnitudes of its terms, not the size of the result, which may
         cancel to 0); each op says which below, and the scale_* functions compute them
  atol   a few smallest-normal numbers (float32 1.2e-38, float64 2.2e-308): TF flushes
         subnormal results to zero on CPU (flush-to-zero), NumPy keeps them
Before any value: the shapes and dtypes must match, and where TF is finite NumPy must be too.

The ulps are set from what the suite has seen (python -m parity_tests.measure, README
"parity"): the smallest power of 2 at least 4x the worst measured, so another BLAS or thread
count does not trip them, while any real mistake (a missing 1/N, a wrong sign, labels off by
one: errors of order 1, i.e. ~1e7 float32 ulps) is far outside.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = {np.dtype(np.float32): float(np.finfo(np.float32).eps),
       np.dtype(np.float64): float(np.finfo(np.float64).eps)}
TINY = {np.dtype(np.float32): float(np.finfo(np.float32).tiny),
        np.dtype(np.float64): float(np.finfo(np.float64).tiny)}


@dataclass(frozen=True)
class Tol:
    ulps: float   # allowed |numpy - tf| in units of eps * scale
    tinies: float  # plus this many smallest-normal numbers (flush-to-zero of subnormals)
    scale: str    # what the error is proportional to
    reason: str   # why it is this big

    def allowed(self, dtype, scale, tiny_scale=1.0) -> np.ndarray:
        dt = np.dtype(dtype)
        return (self.ulps * EPS[dt] * np.asarray(scale, dtype=np.float64)
                + self.tinies * TINY[dt] * np.asarray(tiny_scale, dtype=np.float64))


# One entry per op, for float32 and float64 alike (the bound is in ulps of each dtype).
# "worst seen" is in ulps of the scale over 2 runs x 1,000 examples per property and dtype
# (python -m parity_tests.measure --runs 2; parity_tests/observed.json), float32 / float64.
# S below is the scale of dL/dZ's entries: (softmax + |Y|) / N, plus 2 softmax max_c |X||W|
# when the logits were computed on each side (their rounding moves softmax; see scale_dz).
TOLERANCES: dict[str, Tol] = {
    "logits": Tol(
        8, 0, "|X| @ |W| + |b|",
        "Z = X @ W + b: dot products of length D <= 800 summed in different orders and "
        "blockings (OpenBLAS vs TF's Eigen/oneDNN GEMM), relative to the sum of |terms| (the "
        "result itself may cancel to 0); worst seen 1.8 / 1.9 ulps"),
    "logsumexp": Tol(
        8, 0, "max |z| + log C",
        "m + log(sum exp(z - m)): z - m is one correctly rounded subtraction on both sides; exp "
        "and log (~1 ulp each) and the order of the sum differ; m + log(s) rounds at m's "
        "magnitude (up to 1e4); worst seen 1.6 / 1.8 ulps"),
    "softmax": Tol(
        32, 4, "each probability",
        "relative to each probability itself, down to the smallest normal: exp(z - m) / sum, "
        "exp (NumPy's SIMD vs Eigen's, ~1 ulp), a sum of C <= 20 terms in another order, one "
        "division; TF flushes subnormal probabilities to 0 (the 4 tiny); worst seen "
        "4.1 / 3.7 ulps"),
    "log_softmax": Tol(
        8, 0, "|log_softmax| + log C",
        "(z - m) - log(sum exp(z - m)): z - m exact and the same on both sides; the log of a "
        "sum in [1, C] differs by ~1 ulp of log C; worst seen 1.4 / 1.4 ulps"),
    "cross_entropy": Tol(
        16, 0, "|L| + log C",
        "(plus 2 mean_n max_c (|X| @ |W| + |b|) when each side computed its own logits, as in "
        "loss_and_grads) the mean over N <= 256 rows of lse(z) - z_y (ids) or "
        "sum_c Y_c (lse - z_c) (rows): every term >= 0, nothing cancels; TF's fused xent "
        "kernel and NumPy's log_softmax round the log of the sum and the mean in other orders; "
        "worst seen 2.3 / 2.4 ulps"),
    "grad_logits": Tol(
        32, 4, "S = (softmax + |Y|) / N",
        "(softmax - Y) / N: softmax's rounding (relative to itself) carried into a difference "
        "with Y that may cancel to ~0; TF's autodiff forms it inside its xent kernel; worst "
        "seen 5.0 / 4.6 ulps"),
    "grad_W": Tol(
        32, 4, "|X|.T @ S",
        "dW = X.T @ dZ: N <= 256 products summed in other GEMM orders, each dZ already a few "
        "ulps apart (grad_logits, and the logits' own rounding through S); flushed subnormals "
        "add up: 4 tiny x (1 + sum_n |X_nd|); worst seen 6.2 / 4.6 ulps"),
    "grad_b": Tol(
        32, 4, "sum_n S_n",
        "db = the sum of dZ's N rows, each a few ulps apart (see grad_W); 4 tiny x (1 + N); "
        "worst seen 7.1 / 7.1 ulps"),
    "sgd_W": Tol(
        16, 4, "|W_new| + lr |X|.T @ S",
        "W - lr dW: dW's difference (grad_W) times lr, plus one rounding of W; worst seen "
        "2.5 / 2.0 ulps"),
    "sgd_b": Tol(
        16, 4, "|b_new| + lr sum_n S_n",
        "b - lr db: db's difference (grad_b) times lr, plus one rounding of b; worst seen "
        "1.4 / 2.3 ulps"),
    "sgd_k_steps": Tol(
        8, 4, "the largest sgd_W / sgd_b scale, summed over the k steps (normwise)",
        "k <= 5 steps with lr <= 1/L (L the gradient's Lipschitz constant): each step is "
        "non-expansive, so the per-step differences add up without growing; they may move "
        "between entries, hence one scale for all; worst seen 1.1 / 0.56 ulps"),
}

EXACT = {
    "predictions": "argmax of the same logits: both return the lowest index of a tie "
                   "(documented by tf.math.argmax since TF 2.3, as np.argmax); no rounding "
                   "happens, so equality is exact",
    "accuracy": "a count of exact argmax matches divided by N: exact",
}


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


# --- the math properties (NumPy alone): slack in ulps of the dtype, each with its reason -------

MATH_ULPS = {
    "softmax_sum": (4, "a row of C entries, each within ~2 ulps of exact (one exp, one "
                       "division), sums to 1 within ~C ulps: held to 4 C ulps"),
    "shift": (8, "z + c is rounded (one ulp of |z| + |c|), which moves each probability by up "
                 "to that relative to itself; the rest as softmax_sum"),
    "log_of_softmax": (8, "log(softmax) vs log_softmax, where softmax is a normal number: both "
                          "round z - m (exact) then ~1 ulp of exp/log each, relative to "
                          "|log_softmax| + log C"),
    "logsumexp_bounds": (2, "m + log(s) rounds once at m's magnitude"),
    "entropy": (8, "CE - H(Y) >= 0 in exact arithmetic; each is a sum of >= 0 terms rounded to a "
                   "few ulps of itself"),
    "log_C": (4, "equal logits: z - m = 0 exactly, the sum is C (exact for C <= 2^24), one log"),
    "grad_rows_sum": (4, "(softmax - Y) / N summed over C: softmax_sum's error divided by N"),
    "mean_of_copies": (4, "the mean of a batch and of the batch twice: pairwise sums in a "
                          "different grouping, a few ulps of the loss"),
    "descent": (16, "loss(W - lr g) <= loss(W) - lr/2 |g|^2 in exact arithmetic (lr <= 1/L); "
                    "each loss is rounded at ~|loss| + 2 max |logit| (see model_scales)"),
}

# gradcheck thresholds (max relative error, floored) for the finite-difference properties.
# float64: order-4 central differences at h = 1e-3 carry ~1e-12 absolute error on ordinary
# losses (~1e-9 relative), and gradcheck raises the floor to its noise / threshold on large
# losses; 1e-6 leaves ~1000x room. float32 gradients are exact only to a few float32 ulps of
# (softmax + Y) / N, not of softmax - Y, which cancels where softmax ~ Y: the floor 1e-2 holds
# entries below it to 1e-6 absolute (~8 ulps of 1), larger ones to 1e-4 relative.
GRADCHECK = {np.dtype(np.float32): dict(threshold=1e-4, floor=1e-2),
             np.dtype(np.float64): dict(threshold=1e-6, floor=1e-5)}


def math_slack(name: str, dtype) -> float:
    """MATH_ULPS[name] in units of the dtype's eps."""
    return MATH_ULPS[name][0] * EPS[np.dtype(dtype)]
