"""Deliberately wrong versions of numpy_softmax functions, for test_mutations: each has one
classic mistake, and the properties must catch every one. The softmax mistakes come from the
project's catalogue (softmax_parity.mistakes: the flavors `softmax-parity check` diagnoses and
the loss_and_grads of `softmax-parity gradcheck --demo-mistakes`), wrapped to take the public
API's arguments; only the mistakes outside the softmax chain (an SGD step's sign, Keras's
clipping written out wrong) are written here."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

import numpy_softmax as ns
from softmax_parity import mistakes as mk


def _logits_api(flavor: mk.Flavor, role: str, name: str):
    """The catalogue's `role` computed as flavor says, taking numpy_softmax's arguments:
    z (N, C) (and labels) for softmax, log_softmax, cross_entropy, grad_logits."""
    fn = mk.build(flavor, role)

    def api(z, *rest, axis=-1):
        z = np.asarray(z)
        assert axis in (-1, z.ndim - 1), "the mutants take classes along the last axis"
        return fn(z, *(np.asarray(a) for a in rest))
    api.__name__ = name
    return api


def _validated(fn, name: str):
    """A catalogue loss_and_grads taking the public API's arguments (it validates them as
    numpy_softmax.loss_and_grads does)."""
    def loss_and_grads(params, X, labels):
        params, X, kind, y = ns.model.check_inputs(params, X, labels)
        return fn(params, X, y)
    loss_and_grads.__name__ = name
    return loss_and_grads


def _model_api(flavor: mk.Flavor, name: str):
    """The catalogue's loss_and_grads computed as flavor says, with the API's arguments."""
    return _validated(mk.build(flavor, "loss_and_grads"), name)


_naive = mk.BY_ID["no-max-shift"].flavors[0]  # every link without the max shift

# softmax - Y: the gradient of the summed loss, not of the mean
grad_logits_missing_1_over_N = _logits_api(
    mk.BY_ID["grad-not-divided-by-n"].flavors[0], "grad_logits", "grad_logits_missing_1_over_N")
# exp(z) / sum exp(z): inf / inf = NaN once a logit passes 88.7 (float32) or 709.8
softmax_without_max_shift = _logits_api(_naive, "softmax", "softmax_without_max_shift")
# log(exp(z) / sum exp(z)): -inf where exp underflows, NaN where it overflows
log_softmax_without_max_shift = _logits_api(
    mk.combine(_naive, mk.BY_ID["log-of-softmax"].flavors[0]), "log_softmax",
    "log_softmax_without_max_shift")
# the loss of class y + 1 (mod C) for class ids: an off-by-one in the label lookup
cross_entropy_labels_off_by_one = _logits_api(
    replace(mk.RIGHT, ids_off_by_one=("loss",)), "cross_entropy",
    "cross_entropy_labels_off_by_one")
# dW returned as dZ.T @ X, shape (C, D), instead of (D, C)
loss_and_grads_W_plainly_transposed = _model_api(
    mk.BY_ID["transposed-grad"].flavors[0], "loss_and_grads_W_plainly_transposed")
# class ids shifted by one in the loss and the gradient alike: a consistent, wrong model (its
# gradient is the true gradient of its wrong loss)
loss_and_grads_labels_off_by_one_everywhere = _model_api(
    replace(mk.RIGHT, ids_off_by_one=("loss", "grad")),
    "loss_and_grads_labels_off_by_one_everywhere")


def sgd_step_wrong_sign(params, grads, lr):
    """theta + lr g: gradient ascent."""
    return ns.Params(params.W + lr * grads.W, params.b + lr * grads.b)


def mistake(name: str):
    """A loss_and_grads mistake of `softmax-parity gradcheck --demo-mistakes`
    (softmax_parity.mistakes.GRADCHECK_MISTAKES), taking the public API's arguments."""
    return _validated(mk.GRADCHECK_MISTAKES[name], f"loss_and_grads_{name.replace(' ', '_')}")


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
