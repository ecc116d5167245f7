"""Properties of the math itself, NumPy alone (no TF): what softmax, cross-entropy and their
gradients must satisfy whatever computes them. The expected values come from the definitions
(sums to 1, log C, finite differences), never from the code under test.

NumPy is looked up as `ns.<name>` at call time, so test_mutations can swap a broken function in.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_softmax as ns
from numpy_softmax.tolerances import GRADCHECK, TINY
from softmax_parity.check.strategies import DTYPES, ORDINARY_SCALES, logit_cases, model_cases
from softmax_parity.mistakes import naive_softmax  # the counter-example

from . import checks

dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


def _f64(a):
    return np.asarray(a, dtype=np.float64)


# --- softmax, log_softmax, logsumexp ------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_softmax_rows_sum_to_one_and_lie_in_unit_interval(dtype, data):
    z = data.draw(logit_cases(dtype)).z
    p = ns.softmax(z)
    assert p.shape == z.shape and p.dtype == z.dtype
    assert np.all((p >= 0) & (p <= 1)), "a probability outside [0, 1]"
    C = z.shape[1]
    err = np.abs(_f64(p).sum(axis=1) - 1.0)  # (N,)
    assert np.all(err <= C * checks.math_slack("softmax_sum", dtype)), \
        f"row sums off by {err.max()}"


@dtypes
@given(data=st.data(), shift=st.sampled_from([-1e4, -100.0, -1.0, 0.5, 3.0, 1e3]))
def test_softmax_is_shift_invariant(dtype, data, shift):
    z = data.draw(logit_cases(dtype, scales=ORDINARY_SCALES + (1e2,))).z
    c = np.asarray(shift, dtype=dtype)
    p, q = _f64(ns.softmax(z)), _f64(ns.softmax(z + c))  # z + c is rounded to dtype
    rounding = np.abs(_f64(z)).max(axis=1, keepdims=True) + abs(shift)  # (N, 1)
    allowed = p * 2 * rounding * checks.math_slack("shift", dtype) \
        + z.shape[1] * checks.math_slack("softmax_sum", dtype) * p + 4 * TINY[np.dtype(dtype)]
    assert np.all(np.abs(p - q) <= allowed), \
        f"softmax(z) and softmax(z + c) differ by {np.abs(p - q).max()}"


@dtypes
@given(data=st.data())
def test_log_softmax_equals_log_of_softmax_where_that_is_finite(dtype, data):
    z = data.draw(logit_cases(dtype)).z
    lp, p = ns.log_softmax(z), ns.softmax(z)
    assert lp.shape == z.shape and lp.dtype == z.dtype
    assert np.all(np.isfinite(lp)), "log_softmax must be finite for every finite z"
    assert np.all(lp <= 0), "log probabilities above 0"
    normal = p >= np.finfo(dtype).tiny  # log(softmax) is accurate only there
    with np.errstate(divide="ignore"):
        logp = np.log(_f64(p))
    allowed = checks.math_slack("log_of_softmax", dtype) * (np.abs(_f64(lp)) + np.log(z.shape[1]))
    diff = np.abs(_f64(lp) - logp)
    assert np.all(diff[normal] <= allowed[normal]), f"max diff {diff[normal].max()}"


@dtypes
@given(data=st.data())
def test_logsumexp_lies_between_max_and_max_plus_log_C(dtype, data):
    z = data.draw(logit_cases(dtype)).z
    lse = ns.logsumexp(z, axis=1)
    assert lse.shape == (z.shape[0],) and lse.dtype == z.dtype
    m = _f64(z).max(axis=1)  # (N,)
    slack = checks.math_slack("logsumexp_bounds", dtype) * (np.abs(m) + np.log(z.shape[1]))
    assert np.all(_f64(lse) >= m - slack), "logsumexp below the max"
    assert np.all(_f64(lse) <= m + np.log(z.shape[1]) + slack), "logsumexp above max + log C"


@dtypes
@given(data=st.data())
def test_softmax_family_is_finite_for_all_finite_logits(dtype, data):
    """Up to +-1e4 (exp overflows float32 past 88.7, float64 past 709.8) every op is finite."""
    c = data.draw(logit_cases(dtype, labels="any", scales=(1e2, 1e3, 1e4)))
    for name, out in (("logsumexp", ns.logsumexp(c.z)), ("softmax", ns.softmax(c.z)),
                      ("log_softmax", ns.log_softmax(c.z)),
                      ("cross_entropy", ns.cross_entropy(c.z, c.labels)),
                      ("grad_logits", ns.grad_logits(c.z, c.labels))):
        assert np.all(np.isfinite(out)), f"{name} is not finite ({c!r})"


@dtypes
def test_naive_softmax_overflows_where_the_shifted_one_does_not(dtype):
    z = np.array([[1e4, 0.0, -1e4], [100.0, 99.0, 98.0]], dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = naive_softmax(z)
    assert not np.all(np.isfinite(naive)), "the counter-example should overflow"
    p = ns.softmax(z)
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0])
    e = np.exp([0.0, -1.0, -2.0])
    np.testing.assert_allclose(p[1], e / e.sum(), rtol=1e-6)


# --- cross-entropy --------------------------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_cross_entropy_is_at_least_the_entropy_of_the_labels(dtype, data):
    """Gibbs' inequality H(Y, q) >= H(Y) >= 0 (the seed: cross-entropy is always >= the
    entropy); for class ids H(Y) = 0."""
    c = data.draw(logit_cases(dtype, labels="any"))
    L = ns.cross_entropy(c.z, c.labels)
    assert np.ndim(L) == 0 and np.asarray(L).dtype == c.z.dtype
    assert L >= 0, f"cross-entropy {L} < 0"
    Y = checks.onehot64(c.labels, c.z.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        H = float(np.mean(-np.sum(np.where(Y > 0, Y * np.log(Y), 0.0), axis=1)))
    slack = checks.math_slack("entropy", dtype) * (abs(float(L)) + H + np.log(c.z.shape[1]))
    assert float(L) >= H - slack, f"cross-entropy {L} below the labels' entropy {H}"


@dtypes
@given(data=st.data())
def test_cross_entropy_of_equal_logits_is_log_C(dtype, data):
    c = data.draw(logit_cases(dtype, labels="any", forms=("equal_rows",)))
    z = np.repeat(c.z[:, :1], c.z.shape[1], axis=1)  # every row constant
    L = float(ns.cross_entropy(z, c.labels))
    C = z.shape[1]
    assert abs(L - np.log(C)) <= checks.math_slack("log_C", dtype) * np.log(C), f"{L} != log {C}"


@dtypes
@given(data=st.data())
def test_one_hot_rows_and_class_ids_give_identical_loss_and_gradient(dtype, data):
    """Two code paths (gather log p_y vs sum Y log p; g[y] -= 1 vs g -= Y): adding exact 0s and
    subtracting exact 1s, they must agree to the last bit."""
    c = data.draw(logit_cases(dtype, labels="ids"))
    Y = checks.onehot64(c.labels, c.z.shape[1]).astype(dtype)
    assert ns.cross_entropy(c.z, c.labels) == ns.cross_entropy(c.z, Y)
    np.testing.assert_array_equal(ns.grad_logits(c.z, c.labels), ns.grad_logits(c.z, Y))


@dtypes
@given(data=st.data())
def test_loss_is_a_mean_and_its_gradient_scales_as_1_over_N(dtype, data):
    """The batch twice: the same mean loss, and each row's gradient halved (exactly: dividing
    by 2N is dividing by N and then by 2). Catches a missing (or doubled) 1/N."""
    c = data.draw(logit_cases(dtype, labels="any"))
    z2 = np.concatenate([c.z, c.z])
    y2 = np.concatenate([c.labels, c.labels])
    L1, L2 = float(ns.cross_entropy(c.z, c.labels)), float(ns.cross_entropy(z2, y2))
    assert abs(L1 - L2) <= checks.math_slack("mean_of_copies", dtype) * (abs(L1) + 1e-30) * 4
    g1, g2 = ns.grad_logits(c.z, c.labels), ns.grad_logits(z2, y2)
    assert g2.shape == z2.shape and g2.dtype == c.z.dtype
    tiny = np.finfo(dtype).tiny
    normal = np.abs(g1) >= 4 * tiny  # halving a subnormal may round
    N = c.z.shape[0]
    np.testing.assert_array_equal((g1 / 2)[normal], g2[:N][normal])
    np.testing.assert_array_equal(g2[:N], g2[N:])


# --- gradients ------------------------------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_grad_logits_rows_sum_to_zero(dtype, data):
    c = data.draw(logit_cases(dtype, labels="any"))
    g = ns.grad_logits(c.z, c.labels)
    assert g.shape == c.z.shape and g.dtype == c.z.dtype
    N, C = c.z.shape
    sums = np.abs(_f64(g).sum(axis=1))  # (N,)
    assert np.all(sums <= 2 * C * checks.math_slack("grad_rows_sum", dtype) / N), \
        f"a row of dL/dZ sums to {sums.max()}"


def _labels64(c):
    """The labels for a float64 loss: ids as they are, rows renormalised in float64 (float32
    rows sum to 1 only within float32 rounding, which float64 validation would refuse)."""
    if c.kind == "ids":
        return c.labels
    Y = _f64(c.labels)
    return Y / Y.sum(axis=1, keepdims=True)


def _gradcheck(f, x, grad, dtype, name, f_scale=0.0):
    """f_scale: the largest logit magnitude inside f (f rounds at that size, not at |f|)."""
    rep = ns.gradcheck(f, x, grad, name=name, n_directions=3, f_scale=f_scale,
                       **GRADCHECK[np.dtype(dtype)])
    assert rep.passed, rep.summary()
    return rep


@dtypes
@given(data=st.data())
def test_grad_logits_agrees_with_finite_differences(dtype, data):
    """dL/dZ against central differences of the loss, in float64 (small N, C: every entry)."""
    c = data.draw(logit_cases(dtype, labels="any", max_n=12, max_c=8))
    z64, labels = _f64(c.z), _labels64(c)
    _gradcheck(lambda z: ns.cross_entropy(z, labels), z64, ns.grad_logits(c.z, c.labels),
               dtype, "dL/dZ", f_scale=float(np.abs(z64).max()))


@dtypes
@given(data=st.data())
def test_logsumexp_gradient_is_softmax(dtype, data):
    """d/dz sum_n lse(z_n) = softmax(z): finite differences of logsumexp against softmax."""
    z = data.draw(logit_cases(dtype, max_n=8, max_c=8)).z
    _gradcheck(lambda v: np.sum(ns.logsumexp(v, axis=1)), _f64(z), ns.softmax(z), dtype,
               "d lse/dz", f_scale=float(np.abs(_f64(z)).max(axis=1).sum()))


@dtypes
@given(data=st.data())
def test_loss_and_grads_agree_with_finite_differences(dtype, data):
    """dL/dW and dL/db from loss_and_grads against central differences of its loss."""
    c = data.draw(model_cases(dtype, max_n=12, max_d=10, max_c=6,
                              scales=ORDINARY_SCALES + (1e2,)))
    X64, labels = _f64(c.X), _labels64(c)
    _, g = ns.loss_and_grads(ns.Params(c.W, c.b), c.X, c.labels)
    assert g.W.shape == c.W.shape and g.b.shape == c.b.shape
    assert g.W.dtype == c.W.dtype and g.b.dtype == c.b.dtype
    b64, W64 = _f64(c.b), _f64(c.W)
    zmax = float(checks.scale_logits(c.X, c.W, c.b).max())  # the logits' magnitude inside the loss
    _gradcheck(lambda W: ns.loss_and_grads(ns.Params(W, b64), X64, labels)[0], W64, g.W,
               dtype, "dL/dW", zmax)
    _gradcheck(lambda b: ns.loss_and_grads(ns.Params(W64, b), X64, labels)[0], b64, g.b,
               dtype, "dL/db", zmax)


# --- SGD and accuracy -----------------------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_sgd_step_with_lr_at_most_1_over_L_decreases_the_loss(dtype, data):
    """The descent lemma: for lr <= 1/L (L the gradient's Lipschitz constant),
    loss(theta - lr g) <= loss(theta) - lr/2 |g|^2. The step keeps the dtype."""
    c = data.draw(model_cases(dtype, steps=1, max_n=64, max_d=64))
    p = ns.Params(c.W, c.b)
    L0, g = ns.loss_and_grads(p, c.X, c.labels)
    p1 = ns.sgd_step(p, g, c.lr)
    assert p1.W.dtype == c.W.dtype and p1.b.dtype == c.b.dtype
    L1, _ = ns.loss_and_grads(p1, c.X, c.labels)
    g2 = float(np.sum(_f64(g.W) ** 2) + np.sum(_f64(g.b) ** 2))
    scale0, _ = checks.model_scales(c.X, c.W, c.b, c.labels)
    scale1, _ = checks.model_scales(c.X, p1.W, p1.b, c.labels)
    slack = (checks.math_slack("descent", dtype)
             * (abs(float(L0)) + scale0 + abs(float(L1)) + scale1))
    assert float(L1) <= float(L0) - c.lr / 2 * g2 + slack, \
        f"loss {float(L0)!r} -> {float(L1)!r}, promised <= {float(L0) - c.lr / 2 * g2!r}"


@dtypes
@given(data=st.data())
def test_accuracy_counts_rows_whose_first_maximum_is_the_label(dtype, data):
    """accuracy = mean over rows of [first index of the row's max == true class], ties drawn on
    purpose; probability labels count their own first maximum as the true class."""
    c = data.draw(logit_cases(dtype, labels="any", forms=("ties", "equal_rows", "uniform")))
    Y = checks.onehot64(c.labels, c.z.shape[1])
    hits = 0
    for row, yrow in zip(c.z, Y):
        first = int(np.flatnonzero(row == row.max())[0])  # the definition, row by row
        hits += first == int(np.flatnonzero(yrow == yrow.max())[0])
    assert ns.accuracy(c.z, c.labels) == hits / c.z.shape[0]
