"""Each op against a naive float64 reference (the textbook formulas, the softmax being the
catalogue's counter-example softmax_parity.mistakes.naive_softmax), on float32 and float64
inputs, plus closed-form values at extreme logits where a naive softmax overflows."""
import math

import numpy as np
import pytest

import numpy_softmax as ns
from softmax_parity.mistakes import naive_softmax

DTYPES = [np.float32, np.float64]
# float32 results vs a float64 reference: a few ulps of float32 (eps 1.2e-7) on values ~1;
# float64 results: a few ulps of float64.
RTOL = {np.float32: 2e-6, np.float64: 1e-13}
ATOL = {np.float32: 1e-6, np.float64: 1e-14}


def naive64(z):
    """exp(z) / sum exp(z) in float64: fine for |z| <= 30; the counter-example at +-1e4 below."""
    return naive_softmax(np.asarray(z, dtype=np.float64))


def naive_ce(z, y):
    p = naive64(z)
    return float(np.mean([-math.log(p[i, y[i]]) for i in range(len(y))]))


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture
def zy(dtype, rng):
    z = (rng.standard_normal((17, 7)) * 5).astype(dtype)  # (N, C)
    y = rng.integers(0, 7, size=17)
    return z, y


def test_softmax_matches_naive_float64_reference(zy, dtype):
    z, _ = zy
    s = ns.softmax(z)
    assert s.shape == z.shape and s.dtype == dtype
    np.testing.assert_allclose(s, naive64(z), rtol=RTOL[dtype], atol=ATOL[dtype])


def test_logsumexp_matches_naive_float64_reference(zy, dtype):
    z, _ = zy
    out = ns.logsumexp(z)
    assert out.shape == (z.shape[0],) and out.dtype == dtype
    ref = np.log(np.exp(z.astype(np.float64)).sum(axis=1))
    np.testing.assert_allclose(out, ref, rtol=RTOL[dtype], atol=ATOL[dtype])


def test_log_softmax_matches_naive_float64_reference(zy, dtype):
    z, _ = zy
    out = ns.log_softmax(z)
    assert out.shape == z.shape and out.dtype == dtype
    np.testing.assert_allclose(out, np.log(naive64(z)), rtol=RTOL[dtype],
                               atol=4 * ATOL[dtype])


def test_cross_entropy_matches_naive_float64_reference_for_ids(zy, dtype):
    z, y = zy
    ce = ns.cross_entropy(z, y)
    assert np.ndim(ce) == 0 and ce.dtype == dtype
    assert math.isclose(float(ce), naive_ce(z, y), rel_tol=RTOL[dtype], abs_tol=ATOL[dtype])


def test_cross_entropy_with_onehot_rows_equals_class_ids(zy, dtype):
    z, y = zy
    Y = np.eye(z.shape[1], dtype=dtype)[y]
    assert math.isclose(float(ns.cross_entropy(z, Y)), float(ns.cross_entropy(z, y)),
                        rel_tol=RTOL[dtype])


def test_cross_entropy_with_soft_labels_matches_naive_reference(zy, dtype, rng):
    z, _ = zy
    P = rng.random(z.shape)
    P = (P / P.sum(axis=1, keepdims=True)).astype(dtype)
    ref = float(np.mean(-(P.astype(np.float64) * np.log(naive64(z))).sum(axis=1)))
    assert math.isclose(float(ns.cross_entropy(z, P)), ref, rel_tol=RTOL[dtype] * 4)


def test_grad_logits_is_softmax_minus_onehot_over_n(zy, dtype):
    z, y = zy
    g = ns.grad_logits(z, y)
    assert g.shape == z.shape and g.dtype == dtype
    ref = (naive64(z) - np.eye(z.shape[1])[y]) / z.shape[0]
    np.testing.assert_allclose(g, ref, rtol=RTOL[dtype], atol=ATOL[dtype] / z.shape[0])


def test_grad_logits_matches_finite_differences_of_cross_entropy(rng):
    z = rng.standard_normal((4, 5))
    y = rng.integers(0, 5, size=4)
    g = ns.grad_logits(z, y)
    h = 1e-6
    num = np.zeros_like(z)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            zp, zm = z.copy(), z.copy()
            zp[i, j] += h
            zm[i, j] -= h
            num[i, j] = (ns.cross_entropy(zp, y) - ns.cross_entropy(zm, y)) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)


def test_accuracy_counts_argmax_hits(dtype):
    z = np.array([[2, 1, 0], [0, 3, 1], [1, 1, 5], [4, 0, 0]], dtype=dtype)
    assert ns.accuracy(z, [0, 1, 0, 0]) == 0.75
    assert ns.accuracy(z, np.eye(3)[[0, 1, 2, 1]]) == 0.75


@pytest.mark.parametrize("big", [1e4, -1e4, 88.8, 1e30])
def test_ops_are_stable_at_extreme_logits_closed_form(dtype, big):
    # z = [big, 0]: softmax = [1/(1+e^-big), e^-big/(1+e^-big)], lse = big + log1p(e^-big)
    z = np.array([[big, 0.0], [0.0, big]], dtype=dtype)
    s = ns.softmax(z)
    lse = ns.logsumexp(z)
    ls = ns.log_softmax(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(lse)) and np.all(np.isfinite(ls))
    big = float(dtype(big))  # the value the op actually sees
    hi = max(big, 0.0)
    lo = min(big, 0.0)
    exp_lse = hi + math.log1p(math.exp(lo - hi))
    np.testing.assert_allclose(lse, [exp_lse, exp_lse], rtol=RTOL[dtype])
    np.testing.assert_allclose(ls[0], [big - exp_lse, -exp_lse],
                               rtol=RTOL[dtype], atol=ATOL[dtype])
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=RTOL[dtype])
    ce = ns.cross_entropy(z, [1, 0])
    assert math.isclose(float(ce), exp_lse, rel_tol=RTOL[dtype], abs_tol=ATOL[dtype])


def test_naive_softmax_overflows_where_ours_does_not():
    z = np.array([[1e4, 0.0]], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = naive_softmax(z)
    assert np.isnan(naive).any()  # the counter-example
    np.testing.assert_array_equal(ns.softmax(z), [[1.0, 0.0]])


def test_softmax_of_float32_at_the_exp_overflow_edge():
    # exp overflows float32 just above 88.72: ours must still be exact at z = 89
    z = np.array([[89.0, 88.0]], dtype=np.float32)
    np.testing.assert_allclose(ns.softmax(z), [[1 / (1 + math.e ** -1), 1 / (1 + math.e)]],
                               rtol=1e-6)


def test_ops_keep_the_input_dtype(dtype):
    z = np.zeros((3, 4), dtype=dtype)
    y = np.array([0, 1, 2])
    for out in (ns.softmax(z), ns.log_softmax(z), ns.logsumexp(z), ns.grad_logits(z, y),
                ns.cross_entropy(z, y)):
        assert out.dtype == dtype


def test_softmax_along_axis_zero_is_the_transpose(rng):
    z = rng.standard_normal((5, 3))
    np.testing.assert_allclose(ns.softmax(z, axis=0), ns.softmax(z.T).T, rtol=1e-15)
    np.testing.assert_allclose(ns.logsumexp(z, axis=0), ns.logsumexp(z.T), rtol=1e-15)
