"""Keras's softmax, losses and accuracy metrics against numpy_softmax, in float32 and float64.

Each property draws logits (softmax_parity.check.strategies) and holds Keras's answer to
NumPy's through parity_tests.checks, as test_tf_parity does for TF's ops:
  keras.activations.softmax                          ns.softmax
  keras.losses.*_crossentropy(from_logits=True)      ns.cross_entropy, row by row (the
                                                     functions return one loss per row) and
                                                     the loss classes' mean over the batch
  the same with from_logits=False, on probabilities  numpy_softmax.clipped: the exact formula
                                                     with Keras's clipping to [eps, 1 - eps]
                                                     and its renormalisation written out
  SparseCategoricalAccuracy, CategoricalAccuracy     ns.accuracy, exactly, once -0.0 is
                                                     counted below +0.0 as keras.ops.argmax does

Two Keras defaults matter in float64: the loss classes and the metrics compute in
keras.config.floatx() (float32 unless set) whatever their inputs' dtype; so both are built
here with dtype= the run's dtype, as tf_softmax.keras builds its model.
The Keras calls go through the module-level functions below, looked up at call time, so
test_mutations can swap in a mistake (from_logits set wrong) and watch a property fail; NumPy
is looked up as ns.<name> for the same reason.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_softmax as ns
from numpy_softmax import clipped
from softmax_parity.check.strategies import DTYPES, ORDINARY_SCALES, logit_cases
from tf_softmax.keras import keras  # TF first, quietly

from . import checks

dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


def _np(t) -> np.ndarray:
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


# the Keras side, as a user calls it (test_mutations swaps these)
def keras_sparse_from_logits(y, z):
    return _np(keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True))  # (N,)


def keras_categorical_from_logits(Y, z):
    return _np(keras.losses.categorical_crossentropy(Y, z, from_logits=True))  # (N,)


def _row_scale(L, C):
    return np.abs(np.asarray(L, dtype=np.float64)) + np.log(C)  # (N,)


def _per_row(fn, z, labels) -> np.ndarray:
    """ns.cross_entropy of each row alone (N,): the mean over a batch of one."""
    return np.array([fn(z[n:n + 1], labels[n:n + 1]) for n in range(z.shape[0])],
                    dtype=z.dtype)


# --- softmax ----------------------------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_keras_softmax_matches_numpy_softmax(dtype, data):
    z = data.draw(logit_cases(dtype)).z
    p_keras = _np(keras.activations.softmax(keras.ops.convert_to_tensor(z)))
    checks.assert_matches("softmax", ns.softmax(z), p_keras, checks.softmax_scale(z), dtype)


# --- the losses on logits ---------------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_keras_sparse_crossentropy_from_logits_is_cross_entropy_row_by_row(dtype, data):
    c = data.draw(logit_cases(dtype, labels="ids"))
    L = keras_sparse_from_logits(c.labels, c.z)  # (N,)
    checks.assert_matches("cross_entropy", _per_row(ns.cross_entropy, c.z, c.labels), L,
                          _row_scale(L, c.z.shape[1]), dtype)


@dtypes
@given(data=st.data())
def test_keras_categorical_crossentropy_from_logits_is_cross_entropy_row_by_row(dtype, data):
    c = data.draw(logit_cases(dtype, labels="probs"))
    L = keras_categorical_from_logits(c.labels, c.z)  # (N,)
    checks.assert_matches("cross_entropy", _per_row(ns.cross_entropy, c.z, c.labels), L,
                          _row_scale(L, c.z.shape[1]), dtype)


@dtypes
@given(data=st.data())
def test_keras_loss_classes_take_the_mean_over_the_batch_like_cross_entropy(dtype, data):
    c = data.draw(logit_cases(dtype, labels="any"))
    kind = "ids" if c.labels.ndim == 1 else "probs"
    cls = (keras.losses.SparseCategoricalCrossentropy if kind == "ids"
           else keras.losses.CategoricalCrossentropy)
    loss = cls(from_logits=True, dtype=np.dtype(dtype).name)  # reduction: sum_over_batch_size
    L = _np(loss(c.labels, c.z))
    assert L.shape == () and L.dtype == dtype
    checks.assert_matches("cross_entropy", ns.cross_entropy(c.z, c.labels), L,
                          _row_scale(L, c.z.shape[1]), dtype)


# --- the losses on probabilities: Keras's clipping, written out ---------------------------------

@dtypes
@given(data=st.data())
def test_keras_sparse_crossentropy_on_probabilities_is_the_clipped_formula(dtype, data):
    c = data.draw(logit_cases(dtype, labels="ids"))
    P = ns.softmax(c.z)  # (N, C) a plain array: Keras cannot find the logits behind it
    L = _np(keras.losses.sparse_categorical_crossentropy(c.labels, P, from_logits=False))
    mine = clipped.clipped_sparse_cross_entropy(P, c.labels, keras.config.epsilon())
    checks.assert_matches("keras_clipped_xent", mine, L, _row_scale(L, P.shape[1]), dtype)


@dtypes
@given(data=st.data())
def test_keras_categorical_crossentropy_on_probabilities_is_the_clipped_formula(dtype, data):
    c = data.draw(logit_cases(dtype, labels="probs"))
    P = ns.softmax(c.z)  # (N, C)
    L = _np(keras.losses.categorical_crossentropy(c.labels, P, from_logits=False))
    mine = clipped.clipped_categorical_cross_entropy(P, c.labels, keras.config.epsilon())
    checks.assert_matches("keras_clipped_xent", mine, L, _row_scale(L, P.shape[1]), dtype)


@given(data=st.data())
def test_keras_clipping_moves_the_loss_by_at_most_the_bound_where_p_y_is_at_least_eps(data):
    """float64, where rounding (~1e-15) is far below the bound (~1e-6): Keras's from_logits=False
    loss is the exact cross-entropy within clipping_error_bound(C) on every row whose true class
    has probability >= eps, and is capped near -log(eps) on the others."""
    c = data.draw(logit_cases(np.float64, labels="ids", scales=ORDINARY_SCALES + (1e2,)))
    P = ns.softmax(c.z)
    eps, C = keras.config.epsilon(), P.shape[1]
    L_keras = _np(keras.losses.sparse_categorical_crossentropy(c.labels, P))  # (N,)
    L_exact = _per_row(ns.cross_entropy, c.z, c.labels)  # (N,)
    p_y = P[np.arange(P.shape[0]), c.labels]  # (N,)
    ok = p_y >= eps
    bound = clipped.clipping_error_bound(C, eps)
    assert np.all(np.abs(L_keras - L_exact)[ok] <= bound + 1e-13 * (1 + L_exact[ok]))
    assert np.all(L_keras[~ok] <= -np.log(eps) + np.log1p((C - 1) * eps) + 1e-12)


# --- accuracy ---------------------------------------------------------------------------------

def keras_argmax_logits(z: np.ndarray) -> np.ndarray:
    """z with every -0.0 replaced by minus the smallest normal number, as keras.ops.argmax does
    on TF (its fix for flush-to-zero): so -0.0 loses a tie to +0.0, where np.argmax and
    tf.argmax see two equal numbers and take the first."""
    minus_zero = (z == 0) & np.signbit(z)
    return np.where(minus_zero, -np.finfo(z.dtype).tiny, z).astype(z.dtype)


def test_keras_argmax_counts_minus_zero_below_plus_zero():
    z = np.array([[-0.0, 0.0], [0.0, -0.0], [0.0, 0.0]], dtype=np.float32)
    assert np.argmax(z, axis=1).tolist() == [0, 0, 0]  # NumPy: a tie, the first index
    assert np.asarray(keras.ops.argmax(z, axis=-1)).tolist() == [1, 0, 0]
    assert np.argmax(keras_argmax_logits(z), axis=1).tolist() == [1, 0, 0]


@dtypes
@given(data=st.data())
def test_keras_accuracy_metrics_count_the_same_argmax_matches(dtype, data):
    c = data.draw(logit_cases(dtype, labels="any"))
    metric = (keras.metrics.SparseCategoricalAccuracy if c.labels.ndim == 1
              else keras.metrics.CategoricalAccuracy)(dtype=np.dtype(dtype).name)
    metric.update_state(c.labels, c.z)
    got = float(metric.result())
    # a count / N; Keras keeps the count and N in dtype, so the ratio is rounded to it
    want = float(np.asarray(ns.accuracy(keras_argmax_logits(c.z), c.labels), dtype=dtype))
    assert got == want, f"Keras {got}, NumPy {want}"
    checks.record_exact("accuracy", dtype, 0, 1)
