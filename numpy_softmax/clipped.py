"""Cross-entropy from probabilities as Keras computes it with from_logits=False, written out.

Dimensions: N examples, C classes. P (N, C) are probabilities (each row sums to 1), y (N,)
class ids, Y (N, C) probability labels. Results are per row (N,), as Keras's loss functions
return them (the loss classes then take the mean over the batch).

Keras cannot take the log of a probability that is 0, so it clips to [eps, 1 - eps] first,
eps = keras.config.epsilon() = 1e-7 (both bounds rounded to P's dtype):
    sparse       L_n = -log clip(P_n)_{y_n} + log sum_c clip(P_n)_c
                 (clip, log, then TF's sparse softmax cross-entropy of those logs: the
                 renormalisation comes after the clipping, through the softmax)
    categorical  L_n = -sum_c Y_nc log clip(P_n / sum_c P_nc)_c
                 (renormalise, then clip: the clipped row no longer sums to exactly 1)
Where eps <= P_{n,y_n} <= 1 - eps, both are the exact cross-entropy -log P_{n,y_n} to within
clipping_error_bound(C, eps); a confident wrong prediction, P_{n,y_n} < eps, is capped near
-log(eps) (16.1 for 1e-7) however small P_{n,y_n} is (docs/math.md, section 9).
"""
from __future__ import annotations

import math

import numpy as np

KERAS_EPSILON = 1e-7  # keras.config.epsilon()'s default


def _bounds(P: np.ndarray, eps: float):
    t = P.dtype.type
    return t(eps), t(1.0 - eps)  # as TF converts the Python floats eps and 1 - eps


def clipped_sparse_cross_entropy(P, y, eps: float = KERAS_EPSILON) -> np.ndarray:
    """-log clip(P)_y + log sum_c clip(P)_c per row (N,): Keras's sparse categorical
    cross-entropy with from_logits=False."""
    P = np.asarray(P)
    Q = np.clip(P, *_bounds(P, eps))  # (N, C): no log sees 0
    rows = np.arange(P.shape[0])
    return -np.log(Q[rows, np.asarray(y)]) + np.log(Q.sum(axis=1))  # (N,)


def clipped_categorical_cross_entropy(P, Y, eps: float = KERAS_EPSILON) -> np.ndarray:
    """-sum_c Y_c log clip(P / sum P)_c per row (N,): Keras's categorical cross-entropy with
    from_logits=False."""
    P = np.asarray(P)
    R = P / P.sum(axis=1, keepdims=True)  # (N, C): renormalised
    Q = np.clip(R, *_bounds(P, eps))  # (N, C)
    return -(np.asarray(Y) * np.log(Q)).sum(axis=1)  # (N,)


def clipping_error_bound(C: int, eps: float = KERAS_EPSILON) -> float:
    """The largest |L_keras - L_exact| of either loss, in exact arithmetic, for a row whose
    true class has eps <= P_y: log(1 + (C - 1) eps) - log(1 - eps) (about C eps).
    Clipping lowers at most one entry (the one above 1 - eps) by less than eps and raises the
    others, at most C - 1, by less than eps each: sum_c clip(P)_c lies in (1 - eps,
    1 + (C - 1) eps), and -log clip(P)_y moves from -log P_y by at most -log(1 - eps)."""
    return math.log1p((C - 1) * eps) - math.log1p(-eps)
