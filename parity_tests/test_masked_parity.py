"""Masked logits (-inf entries) against TensorFlow and against SciPy, in float32 and float64.

Masks fall on random entries, never a whole row (softmax_parity.check.strategies.masked_cases): there
both sides give -inf / 0 in the same places, exactly, and the other entries within the op's
ulps budget (numpy_softmax.tolerances through parity_tests.checks, which compares non-finite
entries exactly). Where TF would give NaN (a fully masked row) or an inf loss has no gradient,
NumPy and tf_softmax raise the same InputError. NumPy is looked up as `ns.<name>` at call time,
as in test_tf_parity.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_softmax as ns
import tf_softmax as tfs
from numpy_softmax import InputError

from . import checks
from softmax_parity.check.strategies import DTYPES, masked_cases

special = pytest.importorskip("scipy.special")

dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


def _lp_scale(lp, C):
    return np.abs(np.asarray(lp, np.float64)) + np.log(C)  # inf where masked: compared exactly


# --- the softmax family against TF and SciPy --------------------------------------------------

@dtypes
@given(data=st.data())
def test_masked_logsumexp_matches_tf_and_scipy(dtype, data):
    z = data.draw(masked_cases(dtype)).z
    ours = ns.logsumexp(z, axis=1)
    checks.assert_matches("logsumexp", ours, tfs.logsumexp(z, axis=1), checks.lse_scale(z), dtype)
    checks.assert_matches("logsumexp", ours, special.logsumexp(z, axis=1), checks.lse_scale(z),
                          dtype)


@dtypes
@given(data=st.data())
def test_masked_softmax_matches_tf_and_scipy_with_exact_zeros(dtype, data):
    z = data.draw(masked_cases(dtype)).z
    p = ns.softmax(z)
    assert np.all(p[np.isneginf(z)] == 0), "a masked class got a probability"
    scale = checks.softmax_scale(z)
    checks.assert_matches("softmax", p, tfs.softmax(z), scale, dtype)
    checks.assert_matches("softmax", p, special.softmax(z, axis=1), scale, dtype)


@dtypes
@given(data=st.data())
def test_masked_log_softmax_matches_tf_and_scipy_with_minus_inf_in_the_same_places(dtype, data):
    z = data.draw(masked_cases(dtype)).z
    lp = ns.log_softmax(z)
    np.testing.assert_array_equal(np.isneginf(lp), np.isneginf(z))
    lp_tf = tfs.log_softmax(z)
    checks.assert_matches("log_softmax", lp, lp_tf, _lp_scale(lp_tf, z.shape[1]), dtype)
    checks.assert_matches("log_softmax", lp, special.log_softmax(z, axis=1),
                          _lp_scale(lp_tf, z.shape[1]), dtype)


# --- the loss, its gradient and accuracy against TF -------------------------------------------

@dtypes
@given(data=st.data(), labels=st.sampled_from(["ids", "probs"]))
def test_masked_cross_entropy_matches_tf(dtype, data, labels):
    c = data.draw(masked_cases(dtype, labels=labels))
    L_tf = tfs.cross_entropy(c.z, c.labels)
    checks.assert_matches("cross_entropy", ns.cross_entropy(c.z, c.labels), L_tf,
                          abs(float(L_tf)) + np.log(c.z.shape[1]), dtype)


@dtypes
@given(data=st.data(), labels=st.sampled_from(["ids", "probs"]))
def test_masked_grad_logits_matches_tf_autodiff_and_is_exactly_zero_where_masked(dtype, data,
                                                                                labels):
    c = data.draw(masked_cases(dtype, labels=labels))
    g, g_tf = ns.grad_logits(c.z, c.labels), tfs.grad_logits(c.z, c.labels)
    masked = np.isneginf(c.z)
    assert np.all(g[masked] == 0) and np.all(g_tf[masked] == 0), "a masked entry moved"
    checks.assert_matches("grad_logits", g, g_tf, checks.scale_dz(c.z, c.labels), dtype)


@dtypes
@given(data=st.data())
def test_masked_accuracy_matches_tf_exactly(dtype, data):
    c = data.draw(masked_cases(dtype, labels="any"))
    a_np, a_tf = ns.accuracy(c.z, c.labels), tfs.accuracy(c.z, c.labels)
    assert a_np == a_tf, f"accuracy NumPy {a_np!r} != TF {a_tf!r}"
    pred = np.argmax(c.z, axis=1)
    assert not np.any(np.isneginf(c.z[np.arange(c.z.shape[0]), pred])), "a masked prediction"
    checks.record_exact("accuracy", dtype, int(a_np != a_tf), 1)


# --- where there is no answer -----------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_a_masked_true_class_gives_inf_loss_and_no_gradient_on_both_sides(dtype, data):
    c = data.draw(masked_cases(dtype, labels="ids", on_label=True))
    L, L_tf = ns.cross_entropy(c.z, c.labels), tfs.cross_entropy(c.z, c.labels)
    assert L == L_tf == np.inf and L.dtype == L_tf.dtype == dtype
    errors = []
    for fn in (ns.grad_logits, tfs.grad_logits):
        with pytest.raises(InputError) as e:
            fn(c.z, c.labels)
        errors.append(str(e.value))
    assert errors[0] == errors[1] and "masked class" in errors[0]


@dtypes
@given(data=st.data(), op=st.sampled_from(["softmax", "log_softmax", "cross_entropy",
                                           "grad_logits", "accuracy"]))
def test_a_fully_masked_row_is_the_same_input_error_on_both_sides(dtype, data, op):
    c = data.draw(masked_cases(dtype, labels="ids", full_row=True))
    args = (c.z,) if op in ("softmax", "log_softmax") else (c.z, c.labels)
    errors = []
    for side in (ns, tfs):
        with pytest.raises(InputError) as e:
            getattr(side, op)(*args)
        errors.append(str(e.value))
    first = int(np.flatnonzero(np.all(np.isneginf(c.z), axis=1))[0])
    assert errors[0] == errors[1] and f"[{first}, :] is fully masked" in errors[0]
    lse = ns.logsumexp(c.z)  # logsumexp has an answer there: log 0 = -inf, as TF and SciPy
    assert lse[first] == -np.inf and tfs.logsumexp(c.z)[first] == -np.inf
