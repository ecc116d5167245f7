"""The softmax ops of the public API: each checks its inputs, then runs numpy_softmax.kernels.

Dimensions: N examples (rows), C classes (columns). Z are logits (N, C); y are labels, either
class ids (N,) or probability rows Y (N, C). Every loss is a mean over the N rows.

Each public function checks its inputs once (numpy_softmax.validate) and calls the unchecked
math of numpy_softmax.kernels, which the steppers call directly. Output dtype = input dtype.
"""
from __future__ import annotations

import numpy as np

from . import kernels, validate


def _scalar(a: np.ndarray):
    """A 0-d result as a NumPy scalar of its dtype (np.float32(...)), as NumPy's reductions give."""
    return a[()] if a.ndim == 0 else a


def logsumexp(z, axis: int | None = -1, **scipy_only):
    """log(sum_j exp(z_j)) along `axis` (None: over the whole array), stable for any finite z.

    Formula: lse(z) = m + log(sum_j exp(z_j - m)) with m = max_j z_j. Every z_j - m <= 0, so no
    exp overflows, and the sum is >= 1, so the log never sees 0.
    Masks: -inf entries add exp(-inf) = 0 to the sum, so they are ignored; a slice of -inf only
    (or an empty axis) gives -inf, the log of an empty sum, as TF and SciPy. NaN, +inf: refused.
    Shapes: z (..., C) -> (...) with axis=-1; a full reduction (1-D z, or axis=None) returns a
    NumPy scalar of z's dtype.   Gradient: d lse / d z = softmax(z).
    TF: tf.reduce_logsumexp.  SciPy: scipy.special.logsumexp (real z, axis int or None).
    """
    validate.no_options("logsumexp", scipy_only)
    z = validate.masked_logits("z", z)
    validate.axis("axis", axis, z.ndim, allow_none=True)
    return _scalar(kernels.logsumexp(z, axis))


def _softmax_input(z, axis, what: str) -> np.ndarray:
    z = validate.masked_logits("z", z)
    validate.axis("axis", axis, z.ndim, allow_none=True)
    validate.classes("z", z, axis)
    validate.not_fully_masked("z", z, axis, what)
    return z


def softmax(z, axis: int | None = -1, **scipy_only) -> np.ndarray:
    """softmax(z)_j = exp(z_j) / sum_k exp(z_k), along `axis` (None: over the whole array),
    stable for any finite z.

    Computed as exp(z - max z) / sum(exp(z - max z)): the same value (softmax is shift
    invariant) without overflow. Masks: a -inf entry gets exactly 0; every slice needs one
    entry that is not -inf (else 0 / 0: refused, as are NaN and +inf). Shapes: z (..., C) ->
    (..., C); each slice sums to 1; 0 rows give 0 rows.
    Gradient (Jacobian of one row): d s_i / d z_j = s_i (delta_ij - s_j).  TF: tf.nn.softmax.
    """
    validate.no_options("softmax", scipy_only)
    z = _softmax_input(z, axis, "softmax")
    return kernels.softmax(z, axis)


def log_softmax(z, axis: int | None = -1, **scipy_only) -> np.ndarray:
    """log softmax(z)_j = z_j - lse(z), stable for any finite z (never log(0) of an underflowed
    softmax: log_softmax(z) stays finite where log(softmax(z)) would be -inf).

    Masks: a -inf entry gets -inf (log 0); the rest as softmax. Shapes: z (..., C) -> (..., C).
    Gradient: d/dz_j of row entry i = delta_ij - softmax(z)_j.  TF: tf.nn.log_softmax.
    """
    validate.no_options("log_softmax", scipy_only)
    z = _softmax_input(z, axis, "log_softmax")
    return kernels.log_softmax(z, axis)


def _loss_input(logits, labels, what: str):
    """The checks of the loss family: logits (N, C) finite or -inf with C >= 1 and no row fully
    masked, labels for them, and N >= 1 (the mean of 0 rows has no value)."""
    z = validate.masked_logits("logits", logits, 2)
    validate.classes("logits", z, 1)
    kind, y = validate.labels("labels", labels, z.shape[0], z.shape[1], z.dtype)
    if z.shape[0] == 0:
        raise validate.InputError(f"logits has 0 rows; {what} needs N >= 1")
    validate.not_fully_masked("logits", z, 1, what)
    return z, kind, y


def cross_entropy(logits, labels):
    """Mean cross-entropy H(Y, softmax(Z)) over the N rows.

    Formula: L = -(1/N) sum_n sum_c Y_nc log softmax(Z)_nc; for class ids y this is
    L = -(1/N) sum_n log softmax(Z)_{n, y_n}.
    Masks (-inf logits): a masked class has log softmax -inf, so the loss is inf exactly when a
    label puts weight on one (the true class of an id); a masked class the label does not weight
    adds 0 (0 log 0 = 0, where TF's dense op gives 0 * -inf = NaN). A fully masked row: refused.
    Shapes: logits Z (N, C); labels y (N,) int in [0, C) or Y (N, C) probability rows.
    Returns a scalar of the logits' dtype (np.float32 or np.float64).
    Gradient: dL/dZ = (softmax(Z) - Y) / N (see grad_logits).
    TF: reduce_mean(tf.nn.softmax_cross_entropy_with_logits) for Y,
        reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits) for y.
    """
    z, kind, y = _loss_input(logits, labels, "the mean cross-entropy")
    return kernels.cross_entropy(z, kind, y)


def grad_logits(logits, labels) -> np.ndarray:
    """dL/dZ for the mean cross-entropy L: (softmax(Z) - Y) / N.

    Derivation (docs/math.md): per row, L_n = lse(Z_n) - sum_c Y_nc Z_nc when the row of Y
    sums to 1; d lse/dZ_n = softmax(Z_n); the 1/N comes from the mean.
    Masks: a masked entry (-inf) gets exactly 0 (softmax 0, Y 0). A label with weight on a
    masked class makes the loss inf, which has no gradient: refused (TF's autodiff would return
    -Y/N there), as is a fully masked row. 0 rows: refused (the gradient of a mean of nothing).
    Shapes: logits (N, C), labels (N,) or (N, C) -> (N, C); each row sums to 0.
    TF: tf.GradientTape over the cross-entropy (autodiff).
    """
    z, kind, y = _loss_input(logits, labels, "the gradient of a mean")
    validate.masked_labels("labels", z, kind, y)
    return kernels.grad_logits(z, kind, y)


def accuracy(logits, labels) -> float:
    """Fraction of rows whose largest logit is the true class: mean(argmax_c Z_nc == y_n).

    argmax(Z) = argmax(softmax(Z)) (softmax is monotone), so no softmax is needed. Ties go to
    the lowest class index, as in np.argmax and tf.argmax. Probability labels count their
    argmax as the true class. Masks: a masked class (-inf) is never predicted while one class
    is not masked; a fully masked row predicts nothing: refused.
    Shapes: logits (N, C), labels (N,) or (N, C) -> float.
    """
    z, kind, y = _loss_input(logits, labels, "accuracy")
    truth = y if kind == "ids" else np.argmax(y, axis=1)  # (N,)
    return float(np.mean(np.argmax(z, axis=1) == truth))
