"""The tests test the tests: swap a deliberately wrong function into numpy_softmax and run the
real properties (the same hypothesis tests, same strategies, same settings) against it; each
must fail. A property that passed here would be a property that cannot see that mistake.

Each case: (numpy_softmax name replaced, the mutant, the property that must catch it). The
property is called directly with one dtype; hypothesis searches until it fails, shrinks, and
re-raises the AssertionError. The control, the same properties with numpy_softmax as it is,
is the rest of this suite.
"""
from __future__ import annotations

import numpy as np
import pytest

import numpy_softmax as ns

from . import mutants as M
from . import test_keras_parity as keras_props
from . import test_math_properties as math_props
from . import test_tf_parity as tf_props

F32, F64 = np.float32, np.float64

CASES = [
    # a gradient missing the mean's 1/N
    ("grad_logits", M.grad_logits_missing_1_over_N,
     tf_props.test_grad_logits_with_class_ids_matches_tf_autodiff, F32),
    ("grad_logits", M.grad_logits_missing_1_over_N,
     math_props.test_loss_is_a_mean_and_its_gradient_scales_as_1_over_N, F64),
    ("grad_logits", M.grad_logits_missing_1_over_N,
     math_props.test_grad_logits_agrees_with_finite_differences, F64),
    ("loss_and_grads", M.mistake("missing 1/N"),
     tf_props.test_loss_and_grads_match_tf_gradient_tape, F64),
    ("loss_and_grads", M.mistake("missing 1/N"),
     math_props.test_loss_and_grads_agree_with_finite_differences, F64),
    # the W gradient transposed: reshaped from (C, D) (same shape, wrong places), or plainly
    ("loss_and_grads", M.mistake("W gradient transposed"),
     tf_props.test_loss_and_grads_match_tf_gradients_in_a_v1_graph, F32),
    ("loss_and_grads", M.mistake("W gradient transposed"),
     math_props.test_loss_and_grads_agree_with_finite_differences, F64),
    ("loss_and_grads", M.loss_and_grads_W_plainly_transposed,
     tf_props.test_loss_and_grads_match_tf_gradient_tape, F64),
    # the wrong sign, in the gradient or in the step
    ("loss_and_grads", M.mistake("wrong sign"),
     tf_props.test_loss_and_grads_match_tf_gradient_tape, F32),
    ("loss_and_grads", M.mistake("wrong sign"),
     math_props.test_loss_and_grads_agree_with_finite_differences, F64),
    ("sgd_step", M.sgd_step_wrong_sign,
     tf_props.test_one_sgd_step_matches_tf_gradient_descent_optimizer, F64),
    ("sgd_step", M.sgd_step_wrong_sign,
     math_props.test_sgd_step_with_lr_at_most_1_over_L_decreases_the_loss, F64),
    # softmax without the max shift
    ("softmax", M.softmax_without_max_shift,
     tf_props.test_softmax_matches_tf_nn_softmax, F32),
    ("softmax", M.softmax_without_max_shift,
     tf_props.test_numpy_is_finite_wherever_tf_is_at_extreme_logits, F64),
    ("softmax", M.softmax_without_max_shift,
     math_props.test_softmax_family_is_finite_for_all_finite_logits, F64),
    ("log_softmax", M.log_softmax_without_max_shift,
     tf_props.test_log_softmax_matches_tf_nn_log_softmax, F64),
    ("loss_and_grads", M.mistake("softmax without the max shift"),
     tf_props.test_loss_and_grads_match_tf_gradient_tape, F32),
    # labels off by one
    ("cross_entropy", M.cross_entropy_labels_off_by_one,
     tf_props.test_cross_entropy_with_class_ids_matches_tf_sparse_xent, F32),
    ("cross_entropy", M.cross_entropy_labels_off_by_one,
     math_props.test_one_hot_rows_and_class_ids_give_identical_loss_and_gradient, F64),
    ("loss_and_grads", M.mistake("labels off by one"),
     tf_props.test_loss_and_grads_match_tf_gradient_tape, F64),
    ("loss_and_grads", M.mistake("labels off by one"),
     math_props.test_loss_and_grads_agree_with_finite_differences, F64),
    ("loss_and_grads", M.loss_and_grads_labels_off_by_one_everywhere,
     tf_props.test_loss_and_grads_match_tf_gradient_tape, F64),
]


def _id(case):
    name, mutant, prop, dtype = case
    return f"{mutant.__name__}-vs-{prop.__name__.removeprefix('test_')}-{np.dtype(dtype).name}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_property_catches_the_mistake(case, monkeypatch):
    name, mutant, prop, dtype = case
    assert hasattr(ns, name), f"numpy_softmax has no {name} to replace"
    monkeypatch.setattr(ns, name, mutant)
    with pytest.raises(AssertionError):
        prop(dtype=dtype)


def test_gradcheck_cannot_see_labels_shifted_consistently_but_tf_parity_can(monkeypatch):
    """A mistake made alike in the loss and its gradient leaves a consistent (wrong) model: the
    finite-difference property passes, because that gradient is the true gradient of that
    loss. Only a comparison with an independent implementation (TF) catches it."""
    monkeypatch.setattr(ns, "loss_and_grads", M.loss_and_grads_labels_off_by_one_everywhere)
    math_props.test_loss_and_grads_agree_with_finite_differences(dtype=F64)  # passes
    with pytest.raises(AssertionError):
        tf_props.test_loss_and_grads_match_tf_gradient_tape(dtype=F64)



# --- Keras: the properties see a mistake on the Keras side and on NumPy's ---------------------

def _keras_sparse_from_logits_set_wrong(y, z):
    """The classic mistake: logits given to a Keras loss left at from_logits=False (the
    default), so Keras clips the logits to [eps, 1 - eps] as if they were probabilities."""
    return keras_props._np(keras_props.keras.losses.sparse_categorical_crossentropy(
        y, z, from_logits=False))


def _keras_categorical_from_logits_set_wrong(Y, z):
    return keras_props._np(keras_props.keras.losses.categorical_crossentropy(
        Y, z, from_logits=False))


KERAS_CASES = [
    (keras_props, "keras_sparse_from_logits", _keras_sparse_from_logits_set_wrong,
     keras_props.test_keras_sparse_crossentropy_from_logits_is_cross_entropy_row_by_row, F32),
    (keras_props, "keras_categorical_from_logits", _keras_categorical_from_logits_set_wrong,
     keras_props.test_keras_categorical_crossentropy_from_logits_is_cross_entropy_row_by_row,
     F64),
    (ns, "cross_entropy", M.cross_entropy_labels_off_by_one,
     keras_props.test_keras_sparse_crossentropy_from_logits_is_cross_entropy_row_by_row, F64),
    (keras_props.clipped, "clipped_sparse_cross_entropy", M.clipped_without_renormalising,
     keras_props.test_keras_sparse_crossentropy_on_probabilities_is_the_clipped_formula, F64),
    (keras_props.clipped, "clipped_categorical_cross_entropy", M.clipped_categorical_without_clipping,
     keras_props.test_keras_categorical_crossentropy_on_probabilities_is_the_clipped_formula,
     F32),
]


@pytest.mark.parametrize("case", KERAS_CASES,
                         ids=[f"{c[2].__name__.strip('_')}-{np.dtype(c[4]).name}"
                              for c in KERAS_CASES])
def test_keras_property_catches_the_mistake(case, monkeypatch):
    module, name, mutant, prop, dtype = case
    assert hasattr(module, name), f"{module.__name__} has no {name} to replace"
    monkeypatch.setattr(module, name, mutant)
    with pytest.raises(AssertionError):
        prop(dtype=dtype)
