"""The softmax ops of numpy_softmax, computed by TensorFlow (eager).

Dimensions: N examples (rows), D features, C classes. Z are logits (N, C); y are labels,
either class ids (N,) or probability rows Y (N, C). Every loss is a mean over the N rows.

Same public names and signatures as numpy_softmax. Inputs are checked by numpy_softmax's own
validation (one set of rules, one set of messages); the math is TF's: tf.reduce_logsumexp,
tf.nn.softmax, tf.nn.log_softmax, tf.nn.(sparse_)softmax_cross_entropy_with_logits, and every
gradient comes from TF autodiff (tf.GradientTape), never from the hand-derived formula: that is
the cross-check. Results come back as NumPy arrays (np.asarray) in the input dtype.
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


def _check_logits_labels(logits, labels, what: str):
    z = validate.float_array("logits", logits, 2)
    kind, y = validate.labels("labels", labels, z.shape[0], z.shape[1], z.dtype)
    if z.shape[0] == 0:
        raise InputError(f"logits has 0 rows; {what} needs N >= 1")
    return z, kind, y


# --- the public, checked API ------------------------------------------------------------------

def logsumexp(z, axis: int = -1) -> np.ndarray:
    """log(sum_j exp(z_j)) along `axis` by tf.reduce_logsumexp (which subtracts the max first,
    as numpy_softmax does). Shapes: z (..., C) -> (...) with axis=-1."""
    z = validate.float_array("z", z, tuple(range(1, 33)))
    validate.axis("axis", axis, z.ndim)
    return np.asarray(tf.reduce_logsumexp(tf.constant(z), axis=axis))


def softmax(z, axis: int = -1) -> np.ndarray:
    """exp(z_j) / sum_k exp(z_k) along `axis` by tf.nn.softmax. Shapes: (..., C) -> (..., C)."""
    z = validate.float_array("z", z, tuple(range(1, 33)))
    validate.axis("axis", axis, z.ndim)
    return np.asarray(tf.nn.softmax(tf.constant(z), axis=axis))


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """z_j - logsumexp(z) along `axis` by tf.nn.log_softmax. Shapes: (..., C) -> (..., C)."""
    z = validate.float_array("z", z, tuple(range(1, 33)))
    validate.axis("axis", axis, z.ndim)
    return np.asarray(tf.nn.log_softmax(tf.constant(z), axis=axis))


def cross_entropy(logits, labels):
    """L = -(1/N) sum_n sum_c Y_nc log softmax(Z)_nc, by
    reduce_mean(tf.nn.softmax_cross_entropy_with_logits) for probability rows Y (N, C) and
    reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits) for class ids y (N,).
    Returns a NumPy scalar of the logits' dtype."""
    z, kind, y = _check_logits_labels(logits, labels, "the mean cross-entropy")
    return tensor_cross_entropy(tf.constant(z), kind, tf.constant(y)).numpy()


def grad_logits(logits, labels) -> np.ndarray:
    """dL/dZ (N, C) of the mean cross-entropy, by tf.GradientTape (autodiff, no formula).
    numpy_softmax derives it as (softmax(Z) - Y) / N."""
    z, kind, y = _check_logits_labels(logits, labels, "the gradient of a mean")
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        loss = tensor_cross_entropy(zt, kind, tf.constant(y))
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
