"""The error budget of every comparison in `softmax-parity check`: how far a correct function,
computed in `dtype` in any reasonable way, may be from the float64 reference.

Dimensions: N examples, D features, C classes. z (N, C) logits, Y (N, C) the label rows (one-hot
for class ids), r (N, 1) the largest |z| of each row. Every budget is
    CHECK_ULPS * eps * scale + CHECK_TINIES * tiny        (numpy_softmax.tolerances)
and each function below returns it, shaped like the value it bounds. With k = C + (C + 2) r
(the reduction length C, plus a log-sum-exp rounded at r once (exp(z - lse(z))) or C times
(np.logaddexp.reduce), plus z - m rounded at r), the scales are (docs/check.md):
    softmax        p k                             exp of an argument off by k eps moves p by
                                                   k eps relative
    rows of p      k                               the same, summed over a row (relative to 1)
    log_softmax    k + |log p|                     z - lse(z)
    logsumexp      k
    cross_entropy  mean_n (1 + sum_c |Y_nc|) k_n + N |L|     plus a mean of N terms
    grad_logits    (p k + |Y|) / N
    rows of dZ     (1 + sum_c |Y_nc|) k_n / N
    loss_and_grads the logits Z = X W + b are off by (D + 2) eps s_n (s = |X| |W| + |b|, row
                   max), which moves p by 2 (D + 2) s_n eps relative; dW = X.T dZ and db sum N
                   rows of dZ: N more roundings of |X|.T S, S = (p + |Y|) / N
    sgd_step       |W| + lr |dW|                   one product and one difference
"""
from __future__ import annotations

import numpy as np

from numpy_softmax.scales import onehot64, scale_logits, softmax64
from numpy_softmax.tolerances import CHECK_TINIES, CHECK_ULPS, EPS, TINY


def _eps(dtype) -> float:
    return CHECK_ULPS * EPS[np.dtype(dtype)]


def _tiny(dtype) -> float:
    return CHECK_TINIES * TINY[np.dtype(dtype)]


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def row_spread(z) -> tuple:
    """(C, k (N, 1)): the reduction length and k = C + (C + 2) r, r the largest |z| of each
    row: the error of any correct log-sum-exp of the row, in eps."""
    z = _f64(z)
    C = z.shape[1]
    return C, C + (C + 2) * np.abs(z).max(axis=1, keepdims=True)


def softmax(z, dtype) -> np.ndarray:
    """(N, C): each probability to p k eps."""
    C, k = row_spread(z)
    return _eps(dtype) * softmax64(z) * k + _tiny(dtype)


def jacobian(z, dtype) -> np.ndarray:
    """(N, C, C): J = diag(p) - p p^T, each entry to (p_i [i = j] + p_i p_j) k eps (two
    products of probabilities good to p k eps each)."""
    C, k = row_spread(z)
    p = softmax64(z)  # (N, C)
    scale = np.einsum("nc,cd->ncd", p, np.eye(C)) + p[:, :, None] * p[:, None, :]
    return _eps(dtype) * 2 * scale * k[:, :, None] + _tiny(dtype)


def cross_entropy_probs(p, labels, loss, dtype) -> float:
    """-mean_n sum_c Y_nc log p_nc from probabilities p (N, C) as given: each log rounds once
    (|log p| eps), the row's sum over C terms, the mean over N."""
    p = _f64(p)
    C = p.shape[1]
    Y = onehot64(labels, C)
    with np.errstate(divide="ignore"):
        logs = np.where(Y > 0, np.abs(np.log(p)), 0.0)  # (N, C)
    per_row = (1.0 + Y.sum(axis=1)) * (C + np.where(np.isfinite(logs), logs, 0.0).sum(axis=1))
    N = p.shape[0]
    return float(_eps(dtype) * (per_row.mean() + N * abs(float(loss))) + _tiny(dtype))


def softmax_rows(z, dtype) -> np.ndarray:
    """(N,): |sum_c p_nc - 1|."""
    C, k = row_spread(z)
    return _eps(dtype) * k[:, 0] + C * _tiny(dtype)


def log_softmax(z, dtype) -> np.ndarray:
    """(N, C): each log probability to (k + |log p|) eps."""
    C, k = row_spread(z)
    lp = _f64(z)
    lp = lp - lp.max(axis=1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))  # (N, C), float64
    return _eps(dtype) * (k + np.abs(lp))


def logsumexp(z, dtype) -> np.ndarray:
    """(N,)."""
    C, k = row_spread(z)
    return _eps(dtype) * k[:, 0]


def _rows_of_y(labels, C) -> np.ndarray:
    return 1.0 + onehot64(labels, C).sum(axis=1)  # (N,)  1 + sum_c |Y_nc|


def cross_entropy(z, labels, loss, dtype) -> float:
    """The mean over N rows of lse(z_n) - sum_c Y_nc z_nc."""
    C, k = row_spread(z)
    N = k.shape[0]
    per_row = _rows_of_y(labels, C) * k[:, 0]  # (N,)
    return float(_eps(dtype) * (per_row.mean() + N * abs(float(loss))) + _tiny(dtype))


def grad_logits(z, labels, dtype) -> np.ndarray:
    """(N, C): (softmax - Y) / N."""
    C, k = row_spread(z)
    N = k.shape[0]
    p, Y = softmax64(z), onehot64(labels, C)
    return _eps(dtype) * (p * k + Y) / N + _tiny(dtype)


def grad_rows(z, labels, dtype) -> np.ndarray:
    """(N,): |sum_c dZ_nc|, 0 in exact arithmetic."""
    C, k = row_spread(z)
    N = k.shape[0]
    return _eps(dtype) * _rows_of_y(labels, C) * k[:, 0] / N + C * _tiny(dtype)


def model(X, W, b, labels, loss, dtype) -> dict:
    """{"loss": float, "dW": (D, C), "db": (C,)} for loss_and_grads((W, b), X, labels)."""
    X64 = _f64(X)
    Z = X64 @ _f64(W) + _f64(b)  # (N, C)
    N, D = X64.shape
    C, k = row_spread(Z)
    s = scale_logits(X, W, b).max(axis=1, keepdims=True)  # (N, 1): a logit's sum of |terms|
    k = k + 2 * (D + 2) * s  # (N, 1): relative error of p, in eps
    p, Y = softmax64(Z), onehot64(labels, C)
    S = (p * k + Y) / N  # (N, C): the budget of dZ, in eps
    absX = np.abs(X64)
    loss_scale = (_rows_of_y(labels, C) * k[:, 0]).mean() + N * abs(float(loss))
    return {"loss": float(_eps(dtype) * loss_scale + _tiny(dtype)),
            "dW": _eps(dtype) * (N + 1) * (absX.T @ S) + _tiny(dtype) * (1 + absX.sum(0)[:, None]),
            "db": _eps(dtype) * (N + 1) * S.sum(axis=0) + _tiny(dtype) * (1 + N)}


def sgd(W, dW, lr, dtype) -> np.ndarray:
    """W - lr dW: one product, one difference."""
    return _eps(dtype) * (np.abs(_f64(W)) + abs(lr) * np.abs(_f64(dW))) + _tiny(dtype)
