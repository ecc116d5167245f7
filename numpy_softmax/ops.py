"""The softmax ops of the public API: each checks its inputs, then runs numpy_softmax.kernels.

Dimensions: N examples (rows), C classes (columns). Z are logits (N, C); y are labels, either
class ids (N,) or probability rows Y (N, C). Every loss is a mean over the N rows.

Each public function checks its inputs once (numpy_softmax.validate) and calls the unchecked
math of numpy_softmax.kernels, which the steppers call directly. Output dtype = input dtype.
"""
from __future__ import annotations

import numpy as np

from . import kernels, validate


def logsumexp(z, axis: int = -1) -> np.ndarray:
    """log(sum_j exp(z_j)) along `axis`, stable for any finite z.

    Formula: lse(z) = m + log(sum_j exp(z_j - m)) with m = max_j z_j. Every z_j - m <= 0, so no
    exp overflows, and the sum is >= 1, so the log never sees 0.
    Shapes: z (..., C) -> (...) with axis=-1.   Gradient: d lse / d z = softmax(z).
    TF: tf.reduce_logsumexp.
    """
    z = validate.float_array("z", z, tuple(range(1, 33)))
    validate.axis("axis", axis, z.ndim)
    return kernels.logsumexp(z, axis)


def softmax(z, axis: int = -1) -> np.ndarray:
    """softmax(z)_j = exp(z_j) / sum_k exp(z_k), along `axis`, stable for any finite z.

    Computed as exp(z - max z) / sum(exp(z - max z)): the same value (softmax is shift
    invariant) without overflow. Shapes: z (..., C) -> (..., C); each slice sums to 1.
    Gradient (Jacobian of one row): d s_i / d z_j = s_i (delta_ij - s_j).  TF: tf.nn.softmax.
    """
    z = validate.float_array("z", z, tuple(range(1, 33)))
    validate.axis("axis", axis, z.ndim)
    return kernels.softmax(z, axis)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """log softmax(z)_j = z_j - lse(z), stable for any finite z (never log(0) of an underflowed
    softmax: log_softmax(z) stays finite where log(softmax(z)) would be -inf).

    Shapes: z (..., C) -> (..., C).   Gradient: d/dz_j of row entry i = delta_ij - softmax(z)_j.
    TF: tf.nn.log_softmax.
    """
    z = validate.float_array("z", z, tuple(range(1, 33)))
    validate.axis("axis", axis, z.ndim)
    return kernels.log_softmax(z, axis)


def cross_entropy(logits, labels):
    """Mean cross-entropy H(Y, softmax(Z)) over the N rows.

    Formula: L = -(1/N) sum_n sum_c Y_nc log softmax(Z)_nc; for class ids y this is
    L = -(1/N) sum_n log softmax(Z)_{n, y_n}.
    Shapes: logits Z (N, C); labels y (N,) int in [0, C) or Y (N, C) probability rows.
    Returns a scalar of the logits' dtype (np.float32 or np.float64).
    Gradient: dL/dZ = (softmax(Z) - Y) / N (see grad_logits).
    TF: reduce_mean(tf.nn.softmax_cross_entropy_with_logits) for Y,
        reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits) for y.
    """
    z = validate.float_array("logits", logits, 2)
    kind, y = validate.labels("labels", labels, z.shape[0], z.shape[1], z.dtype)
    if z.shape[0] == 0:
        raise validate.InputError("logits has 0 rows; the mean cross-entropy needs N >= 1")
    return kernels.cross_entropy(z, kind, y)


def grad_logits(logits, labels) -> np.ndarray:
    """dL/dZ for the mean cross-entropy L: (softmax(Z) - Y) / N.

    Derivation (docs/math.md): per row, L_n = lse(Z_n) - sum_c Y_nc Z_nc when the row of Y
    sums to 1; d lse/dZ_n = softmax(Z_n); the 1/N comes from the mean.
    Shapes: logits (N, C), labels (N,) or (N, C) -> (N, C); each row sums to 0.
    TF: tf.GradientTape over the cross-entropy (autodiff).
    """
    z = validate.float_array("logits", logits, 2)
    kind, y = validate.labels("labels", labels, z.shape[0], z.shape[1], z.dtype)
    if z.shape[0] == 0:
        raise validate.InputError("logits has 0 rows; the gradient of a mean needs N >= 1")
    return kernels.grad_logits(z, kind, y)


def accuracy(logits, labels) -> float:
    """Fraction of rows whose largest logit is the true class: mean(argmax_c Z_nc == y_n).

    argmax(Z) = argmax(softmax(Z)) (softmax is monotone), so no softmax is needed. Ties go to
    the lowest class index, as in np.argmax and tf.argmax. Probability labels count their
    argmax as the true class. Shapes: logits (N, C), labels (N,) or (N, C) -> float.
    """
    z = validate.float_array("logits", logits, 2)
    kind, y = validate.labels("labels", labels, z.shape[0], z.shape[1], z.dtype)
    if z.shape[0] == 0:
        raise validate.InputError("logits has 0 rows; accuracy needs N >= 1")
    truth = y if kind == "ids" else np.argmax(y, axis=1)  # (N,)
    return float(np.mean(np.argmax(z, axis=1) == truth))
