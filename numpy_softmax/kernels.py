"""The unchecked math: the softmax family, the loss, its gradient, on plain arrays.

Dimensions: N examples (rows), D features, C classes (columns). Z are logits (N, C); labels
come as (kind, y): kind "ids" with class ids y (N,) int64, or kind "probs" with probability
rows y (N, C) in Z's dtype. Every loss is a mean over the N rows.

Nothing here checks its inputs: the public API (numpy_softmax.ops, numpy_softmax.model)
validates once and calls these; the steppers, tf_softmax and the tests call them directly on
arrays they know are well formed. Output dtype = input dtype.

The chain rule, one link per function:
    Z = X @ W + b                   (N, C)   logits
    L = -mean_n log softmax(Z)_n,y  ()       cross_entropy (log softmax by log1p: log_softmax)
    dL/dZ = (softmax(Z) - Y) / N    (N, C)   grad_logits
    dL/dW = X.T @ dL/dZ             (D, C)   grads_from_dz
    dL/db = sum_n dL/dZ_n           (C,)     grads_from_dz
"""
from __future__ import annotations

import numpy as np


def max_and_rest(z: np.ndarray, axis: int = -1) -> tuple:
    """(m, r) with m = max_j z_j and r = sum of exp(z_j - m) over every entry but one largest,
    both keeping the reduced axis: sum_j exp(z_j - m) = 1 + r, so lse(z) = m + log1p(r).
    The reason to split off the 1: a confident row (the others 40 below) has r < eps, and
    log(1 + r) rounds 1 + r to 1 and gives 0, while log1p(r) = r to full precision."""
    k = np.argmax(z, axis=axis, keepdims=True)  # one largest entry per slice (the first)
    m = np.take_along_axis(z, k, axis=axis)  # (..., 1)
    shift = np.where(m == -np.inf, 0, m)  # a slice of -inf only: shift by 0
    d = z - shift  # <= 0: exp cannot overflow. Rounded, d is off by up to |d| eps / 2,
    e = np.exp(d)  # and exp(d) by that much relative: 20 eps for d = -40. What d lost is
    with np.errstate(invalid="ignore"):  # z - shift - d, exactly (Knuth's TwoSum):
        lost = (z - (d - (d - z))) - (shift + (d - z))
    e += e * np.where(np.isfinite(z), lost, 0)  # exp(d + lost) = exp(d) (1 + lost)
    np.put_along_axis(e, k, 0, axis=axis)  # leave the largest one's exp(0) = 1 out of the sum
    return m, np.sum(e, axis=axis, keepdims=True)


def logsumexp(z: np.ndarray, axis: int | None = -1) -> np.ndarray:
    """lse(z) = m + log1p(r), m = max_j z_j, r = the sum of the others' exp(z_j - m) (see
    max_and_rest).  (..., C) -> (...) for axis=-1; axis=None reduces the whole array to a 0-d
    array. A slice of -inf only, or an empty one, gives -inf (the log of an empty sum)."""
    if axis is None:
        return logsumexp(z.reshape(-1), 0)
    if z.shape[axis] == 0:
        return np.full(np.delete(z.shape, axis % z.ndim), -np.inf, dtype=z.dtype)
    m, r = max_and_rest(z, axis)  # m = -inf for a slice of -inf only, and then r = 0
    return np.squeeze(m + np.log1p(r), axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """z_j - lse(z) = (z_j - m) - log1p(r), from the shifted logits.  (..., C) -> (..., C).
    Both terms are <= 0, so nothing cancels: each entry is within a few ulps of its value, the
    largest one's -log1p(r) too, however close to 0 it is."""
    if axis is None:
        return log_softmax(z.reshape(-1), 0).reshape(z.shape)
    m, r = max_and_rest(z, axis)
    return (z - m) - np.log1p(r)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z_j - m) / sum_k exp(z_k - m), m = max z.  (..., C) -> (..., C)."""
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))  # exp cannot overflow; max entry is 1
    return e / np.sum(e, axis=axis, keepdims=True)


def onehot(y: np.ndarray, c: int, dtype) -> np.ndarray:
    """Y (N, C) with Y[n, y_n] = 1 and 0 elsewhere, for class ids y (N,)."""
    Y = np.zeros((y.shape[0], c), dtype=dtype)  # (N, C)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def cross_entropy(z: np.ndarray, kind: str, y: np.ndarray):
    """L = -(1/N) sum_n sum_c Y_nc log softmax(Z)_nc, a scalar of z's dtype."""
    logp = log_softmax(z, axis=1)  # (N, C)
    if kind == "ids":
        per_row = -logp[np.arange(z.shape[0]), y]  # (N,)  picks log p(true class)
    else:
        # 0 log 0 = 0: a class the label does not weight adds nothing, even masked (-inf)
        per_row = -np.sum(y * np.where(y > 0, logp, 0), axis=1)  # (N,)
    return per_row.mean(dtype=z.dtype)


def grad_logits(z: np.ndarray, kind: str, y: np.ndarray) -> np.ndarray:
    """dL/dZ = (softmax(Z) - Y) / N  (N, C)."""
    g = softmax(z, axis=1)  # (N, C)
    if kind == "ids":
        g[np.arange(z.shape[0]), y] -= 1  # softmax - onehot(y), without building onehot
    else:
        g -= y
    g /= z.shape[0]  # the loss is a mean over N rows
    return g


def logits(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Z = X @ W + b: X (N, D), W (D, C), b (C,) -> (N, C)."""
    return X @ W + b  # (N, C)


def grads_from_dz(X: np.ndarray, dZ: np.ndarray) -> tuple:
    """The last links of the chain rule, from dL/dZ (N, C) to the parameters:
    dL/dW = X.T @ dZ  (D, C)  since Z_nc = sum_d X_nd W_dc;
    dL/db = sum over rows of dZ  (C,)  since b is added to every row."""
    return X.T @ dZ, dZ.sum(axis=0)


def loss_and_grads(X: np.ndarray, W: np.ndarray, b: np.ndarray, kind: str, y: np.ndarray):
    """(L, dL/dW (D, C), dL/db (C,)) of the mean cross-entropy of softmax(X W + b)."""
    Z = logits(X, W, b)  # (N, C)
    loss = cross_entropy(Z, kind, y)
    dZ = grad_logits(Z, kind, y)  # (N, C)
    dW, db = grads_from_dz(X, dZ)
    return loss, dW, db
