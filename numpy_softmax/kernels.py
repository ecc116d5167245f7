"""The unchecked math: the softmax family, the loss, its gradient, on plain arrays.

Dimensions: N examples (rows), D features, C classes (columns). Z are logits (N, C); labels
come as (kind, y): kind "ids" with class ids y (N,) int64, or kind "probs" with probability
rows y (N, C) in Z's dtype. Every loss is a mean over the N rows.

Nothing here checks its inputs: the public API (numpy_softmax.ops, numpy_softmax.model)
validates once and calls these; the steppers, tf_softmax and the tests call them directly on
arrays they know are well formed. Output dtype = input dtype.

The chain rule, one link per function:
    Z = X @ W + b                   (N, C)   logits
    L = -mean_n log softmax(Z)_n,y  ()       cross_entropy
    dL/dZ = (softmax(Z) - Y) / N    (N, C)   grad_logits
    dL/dW = X.T @ dL/dZ             (D, C)   grads_from_dz
    dL/db = sum_n dL/dZ_n           (C,)     grads_from_dz
"""
from __future__ import annotations

import numpy as np


def logsumexp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """lse(z) = m + log(sum_j exp(z_j - m)), m = max_j z_j.  (..., C) -> (...) for axis=-1;
    axis=None reduces the whole array to a 0-d array. A slice of -inf only, or an empty one,
    gives -inf."""
    m = np.max(z, axis=axis, keepdims=True, initial=-np.inf)  # each slice's largest entry
    m[m == -np.inf] = 0  # a slice of -inf only (or empty): shift by 0, exp gives 0s, log 0 = -inf
    s = np.sum(np.exp(z - m), axis=axis, keepdims=True)  # z - m <= 0: exp cannot overflow; s >= 1
    with np.errstate(divide="ignore"):  # s = 0 only in a slice of -inf only
        return np.squeeze(m + np.log(s), axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """z_j - lse(z), computed from the shifted logits.  (..., C) -> (..., C)."""
    shifted = z - np.max(z, axis=axis, keepdims=True)  # exp cannot overflow
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


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
