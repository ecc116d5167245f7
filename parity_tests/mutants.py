"""Deliberately wrong versions of numpy_softmax functions, for test_mutations: each has one
classic mistake, and the properties must catch every one. The loss_and_grads mistakes are the
ones `softmax-parity gradcheck --demo-mistakes` shows (softmax_parity.gradcheck)."""
from __future__ import annotations

import numpy as np

import numpy_softmax as ns
from numpy_softmax import kernels
from softmax_parity.gradcheck import MISTAKES, targets

_good_grad_logits = ns.grad_logits
_good_cross_entropy = ns.cross_entropy


def grad_logits_missing_1_over_N(logits, labels):
    """softmax - Y: the gradient of the summed loss, not of the mean."""
    z = np.asarray(logits)
    return _good_grad_logits(z, labels) * z.shape[0]


def softmax_without_max_shift(z, axis=-1):
    """exp(z) / sum exp(z): inf / inf = NaN once a logit passes 88.7 (float32) or 709.8."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.asarray(z))
        return e / e.sum(axis=axis, keepdims=True)


def log_softmax_without_max_shift(z, axis=-1):
    """log(exp(z) / sum exp(z)): -inf where exp underflows, NaN where it overflows."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.log(softmax_without_max_shift(z, axis))


def cross_entropy_labels_off_by_one(logits, labels):
    """The loss of class y + 1 (mod C) for class ids: an off-by-one in the label lookup."""
    z = np.asarray(logits)
    y = np.asarray(labels)
    if y.ndim == 1:
        return _good_cross_entropy(z, (y + 1) % z.shape[1])
    return _good_cross_entropy(z, y)


def loss_and_grads_W_plainly_transposed(params, X, labels):
    """dW returned as dZ.T @ X, shape (C, D), instead of (D, C)."""
    params, X, kind, y = ns.model.check_inputs(params, X, labels)
    Z = X @ params.W + params.b  # (N, C)
    G = (ns.softmax(Z) - targets(y, Z.shape[1], Z.dtype)) / X.shape[0]
    return ns.cross_entropy(Z, labels), ns.Params(G.T @ X, G.sum(axis=0))


def loss_and_grads_labels_off_by_one_everywhere(params, X, labels):
    """Labels shifted by one class in the loss and the gradient alike: a consistent, wrong
    model. Its gradient is the true gradient of its (wrong) loss."""
    params, X, kind, y = ns.model.check_inputs(params, X, labels)
    C = params.W.shape[1]
    shifted = (y + 1) % C if kind == "ids" else np.roll(y, 1, axis=1)
    loss, dW, db = kernels.loss_and_grads(X, params.W, params.b, kind, shifted)
    return loss, ns.Params(dW, db)


def sgd_step_wrong_sign(params, grads, lr):
    """theta + lr g: gradient ascent."""
    return ns.Params(params.W + lr * grads.W, params.b + lr * grads.b)


def mistake(name: str):
    """A loss_and_grads mistake of softmax_parity.gradcheck.MISTAKES, taking the public
    API's arguments (it validates as loss_and_grads does)."""
    fn = MISTAKES[name]

    def loss_and_grads(params, X, labels):
        params, X, kind, y = ns.model.check_inputs(params, X, labels)
        return fn(params, X, y)
    loss_and_grads.__name__ = f"loss_and_grads_{name.replace(' ', '_')}"
    return loss_and_grads



# --- Keras's clipped cross-entropy (numpy_softmax.clipped), written out wrong -----------------

def clipped_without_renormalising(P, y, eps=1e-7):
    """-log clip(P)_y alone: forgets that Keras's sparse loss divides by the clipped row's sum
    (it passes log clip(P) through a softmax)."""
    P = np.asarray(P)
    Q = np.clip(P, P.dtype.type(eps), P.dtype.type(1 - eps))  # (N, C)
    return -np.log(Q[np.arange(P.shape[0]), np.asarray(y)])  # (N,)


def clipped_categorical_without_clipping(P, Y, eps=1e-7):
    """-sum_c Y_c log(P_c / sum P): the exact formula, which is inf where a probability has
    underflowed to 0 and Keras's clip keeps it finite."""
    P = np.asarray(P)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(np.asarray(Y) * np.log(P / P.sum(axis=1, keepdims=True))).sum(axis=1)  # (N,)
