"""The softmax ops of numpy_softmax, computed by TensorFlow (eager).

Dimensions: N examples (rows), D features, C classes. Z are logits (N, C); y are labels,
either class ids (N,) or probability rows Y (N, C). Every loss is a mean over the N rows.

Same public names and signatures as numpy_softmax. Inputs are checked by numpy_softmax's own
validation (one set of rules, one set of messages); the math is TF's: tf.reduce_logsumexp,
tf.nn.softmax, tf.nn.log_softmax, tf.nn.(sparse_)softmax_cross_entropy_with_logits, and every
gradient comes from TF autodiff (tf.GradientTape), never from the hand-derived formula: that is
the cross-check. Results come back as NumPy arrays (np.asarray) in the input dtype.

Masked logits (-inf) get TF's own values (softmax 0, log_softmax -inf, ignored by logsumexp,
loss inf when the true class is masked); where TF would silently return NaN (a fully masked
row, +inf, NaN) numpy_softmax's validation raises its InputError first. One exception, said
where it happens: probability labels on masked rows (see cross_entropy).
"""
from __future__ import annotations

import numpy as np

from numpy_softmax import Params, validate
from numpy_softmax.errors import InputError
from numpy_softmax.model import check_inputs, check_logits_inputs

from ._tf import tf


# --- the unchecked math, on tensors (graph.py, function.py and the bench build on these) ----

def tensor_cross_entropy(z, kind: str, y):
    """Mean cross-entropy of logits z (N, C) against ids y (N,) or probabilities Y (N, C)."""
    if kind == "ids":
        per_row = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)  # (N,)
    else:
        per_row = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z)  # (N,)
    return tf.reduce_mean(per_row)


def tensor_logits(W, b, X):
    """Z = X @ W + b on tensors: X (N, D), W (D, C), b (C,) -> (N, C)."""
    return tf.matmul(X, W) + b  # (N, C)


def tensor_masked_cross_entropy(z, y):
    """Mean cross-entropy of logits z (N, C) holding -inf (masked classes) against probability
    rows Y (N, C), with 0 log 0 = 0: TF's fused softmax_cross_entropy_with_logits gives
    0 * -inf = NaN for every masked class the label does not weight."""
    logp = tf.nn.log_softmax(z, axis=1)  # (N, C), -inf where masked
    terms = tf.where(y > 0, y * logp, tf.zeros_like(logp))  # (N, C); autodiff: 0 where y = 0
    return tf.reduce_mean(-tf.reduce_sum(terms, axis=1))


def _loss(zt, z: np.ndarray, kind: str, y: np.ndarray):
    """The mean cross-entropy of the tensor zt (= z): TF's fused ops, or the masked form for
    probability rows on masked logits."""
    if kind == "probs" and bool(np.any(np.isneginf(z))):
        return tensor_masked_cross_entropy(zt, tf.constant(y))
    return tensor_cross_entropy(zt, kind, tf.constant(y))


# --- the public, checked API ------------------------------------------------------------------

def logsumexp(z, axis: int | None = -1):
    """log(sum_j exp(z_j)) along `axis` (None: all) by tf.reduce_logsumexp (which subtracts the
    max first, as numpy_softmax does). Shapes: z (..., C) -> (...) with axis=-1; a full
    reduction returns a NumPy scalar of z's dtype."""
    z = validate.masked_logits("z", z)
    validate.axis("axis", axis, z.ndim, allow_none=True)
    out = np.asarray(tf.reduce_logsumexp(tf.constant(z), axis=axis))
    return out[()] if out.ndim == 0 else out


def _softmax_family(op, z, axis, what: str) -> np.ndarray:
    z = validate.masked_logits("z", z)
    validate.axis("axis", axis, z.ndim, allow_none=True)
    validate.classes("z", z, axis)
    validate.not_fully_masked("z", z, axis, what)
    if axis is None:  # tf.nn.softmax(axis=None) means the last axis: flatten instead
        return np.asarray(op(tf.constant(z.reshape(-1)), axis=0)).reshape(z.shape)
    return np.asarray(op(tf.constant(z), axis=axis))


def softmax(z, axis: int | None = -1) -> np.ndarray:
    """exp(z_j) / sum_k exp(z_k) along `axis` by tf.nn.softmax. Shapes: (..., C) -> (..., C)."""
    return _softmax_family(tf.nn.softmax, z, axis, "softmax")


def log_softmax(z, axis: int | None = -1) -> np.ndarray:
    """z_j - logsumexp(z) along `axis` by tf.nn.log_softmax. Shapes: (..., C) -> (..., C)."""
    return _softmax_family(tf.nn.log_softmax, z, axis, "log_softmax")


def _check_logits_labels(logits, labels, what: str):
    z = validate.masked_logits("logits", logits, 2)
    validate.classes("logits", z, 1)
    kind, y = validate.labels("labels", labels, z.shape[0], z.shape[1], z.dtype)
    if z.shape[0] == 0:
        raise InputError(f"logits has 0 rows; {what} needs N >= 1")
    validate.not_fully_masked("logits", z, 1, what)
    return z, kind, y


def cross_entropy(logits, labels):
    """L = -(1/N) sum_n sum_c Y_nc log softmax(Z)_nc, by
    reduce_mean(tf.nn.softmax_cross_entropy_with_logits) for probability rows Y (N, C) and
    reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits) for class ids y (N,).
    Probability rows on masked logits (-inf) go through tf.nn.log_softmax with 0 log 0 = 0
    (tensor_masked_cross_entropy), where the fused op gives NaN.
    Returns a NumPy scalar of the logits' dtype."""
    z, kind, y = _check_logits_labels(logits, labels, "the mean cross-entropy")
    return _loss(tf.constant(z), z, kind, y).numpy()


def grad_logits(logits, labels) -> np.ndarray:
    """dL/dZ (N, C) of the mean cross-entropy, by tf.GradientTape (autodiff, no formula).
    numpy_softmax derives it as (softmax(Z) - Y) / N. A label on a masked class (an inf loss)
    is refused by the same check as numpy_softmax's."""
    z, kind, y = _check_logits_labels(logits, labels, "the gradient of a mean")
    validate.masked_labels("labels", z, kind, y)
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        loss = _loss(zt, z, kind, y)
    return np.asarray(tape.gradient(loss, zt))


def accuracy(logits, labels) -> float:
    """mean(tf.argmax(Z, 1) == y); probability labels count their argmax as the true class.
    Ties go to the lowest index, as in np.argmax."""
    z, kind, y = _check_logits_labels(logits, labels, "accuracy")
    truth = tf.constant(y) if kind == "ids" else tf.argmax(y, axis=1)  # (N,)
    hit = tf.equal(tf.argmax(tf.constant(z), axis=1), truth)  # (N,) bool
    return float(tf.reduce_mean(tf.cast(hit, tf.float64)))


def logits(params: Params, X) -> np.ndarray:
    """Z = X @ W + b by tf.matmul.  Shapes: X (N, D), W (D, C), b (C,) -> Z (N, C), W's dtype."""
    params, X = check_logits_inputs(params, X)
    W, b = tf.constant(params.W), tf.constant(params.b)
    return np.asarray(tensor_logits(W, b, tf.constant(X)))


def loss_and_grads(params: Params, X, labels) -> tuple:
    """Mean cross-entropy of softmax(X W + b) against labels, and dL/dW (D, C), dL/db (C,)
    from tf.GradientTape. Same contract as numpy_softmax.loss_and_grads: returns
    (loss, Params(dW, db)) in W's dtype."""
    params, X, kind, y = check_inputs(params, X, labels)
    W, b = tf.constant(params.W), tf.constant(params.b)
    with tf.GradientTape() as tape:
        tape.watch([W, b])
        loss = tensor_cross_entropy(tensor_logits(W, b, tf.constant(X)), kind, tf.constant(y))
    dW, db = tape.gradient(loss, [W, b])
    return loss.numpy(), Params(np.asarray(dW), np.asarray(db))
