"""Error scales: the magnitude each op's rounding error is proportional to, from its inputs.

Dimensions: N examples, D features, C classes. Every comparison of two computations of the
same op (NumPy vs TF in parity_tests, a user's function vs the reference in
`softmax-parity check`) is held to   ulps * eps * scale   with the scale from here and the
ulps from numpy_softmax.tolerances. A scale is the sum of the magnitudes of the terms a result
is made of, not the result itself, which may cancel to 0. All in float64, NumPy only.
"""
from __future__ import annotations

import numpy as np

from .tolerances import EPS, MATH_ULPS


def softmax64(z) -> np.ndarray:
    """A float64 softmax of z (N, C), for error scales only (computed here, not by either side)."""
    z = np.asarray(z, dtype=np.float64)
    s = np.exp(z - z.max(axis=1, keepdims=True))  # exp cannot overflow
    return s / s.sum(axis=1, keepdims=True)


def softmax_scale(z) -> np.ndarray:
    """p (1 + |z - max z|)  (N, C): what each probability's rounding is proportional to. z - m
    rounds to half an ulp of itself, which moves exp(z - m) by |z - m| eps / 2 relative, on any
    side that shifts (the measured error against exact stays within ~1.5 eps of this:
    docs/parity.md, "Accuracy against exact arithmetic")."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        spread = np.where(np.isfinite(z), np.abs(z - z.max(axis=1, keepdims=True)), 0.0)
    return softmax64(z) * (1 + spread)


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
    """(softmax_scale + |Y|) / N  (N, C): what each entry of dL/dZ = (softmax - Y) / N is rounded
    relative to (the difference itself may cancel to 0). When the logits were computed on each
    side (X @ W + b, rounded differently), z_scale (N,) = the largest scale_logits of each row
    adds their difference: d softmax_c = softmax_c (dz_c - sum_j softmax_j dz_j), so
    + 2 softmax z_scale."""
    N, C = np.shape(z)
    extra = 0.0 if z_scale is None else 2.0 * softmax64(z) * np.asarray(z_scale)[:, None]
    return (softmax_scale(z) + onehot64(labels, C) + extra) / N


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
