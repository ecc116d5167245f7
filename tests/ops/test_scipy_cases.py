"""SciPy's own cases for the softmax family (after scipy/special/tests/test_logsumexp.py, SciPy
1.17), run against scipy.special and numpy_softmax side by side.

Where the two APIs overlap (real floats, an integer axis or None, finite or -inf entries) ours
must give SciPy's results: the same shape, the same type (a NumPy scalar for a full reduction),
-inf in the same places and the finite values within a few ulps. Outside the overlap (complex,
b=, return_sign=, keepdims=, tuple axes, 0-d, +inf and NaN) ours give a one-line InputError,
never a raw NumPy error. SciPy is a dev dependency, an oracle only. tests/ops/test_scipy_suite.py
runs SciPy's test file itself, unchanged, against ours."""
import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import InputError

special = pytest.importorskip("scipy.special")

NEG = -np.inf
ULPS = 8  # exp, log and sums in another order: a few ulps of the result's magnitude + log n


def _log_x():
    X = np.random.default_rng(0).uniform(0.1, 10.0, (10, 11))  # test_logsumexp's logX = log X
    return np.log(X)


# (op name, input, axis): each as SciPy's tests write it, the axis always given (our default is
# -1, SciPy's None)
CASES = [
    ("logsumexp", np.arange(10.0), None),                     # test_logsumexp: the plain case
    ("logsumexp", np.array([1000.0, 1000.0]), -1),            # large inputs
    ("logsumexp", np.array([[1e10, 1e-10], [-1e10, NEG]]), -1),
    ("logsumexp", np.array([[1e10, 1e-10], [-1e10, NEG]]), None),
    ("logsumexp", _log_x(), None),
    ("logsumexp", _log_x(), 0),
    ("logsumexp", _log_x(), 1),
    ("logsumexp", np.array([NEG]), None),                      # -inf alone: -inf
    ("logsumexp", np.array([NEG, NEG]), None),                 # a fully masked vector: -inf
    ("logsumexp", np.array([NEG, 0.0, 1.0]), -1),
    ("logsumexp", np.array([1.0, 2.0, 3.0], np.float32), None),  # test_dtypes_a
    ("logsumexp", np.array([[NEG, 1e4], [3.0, NEG]], np.float32), 1),
    ("logsumexp", np.array([]), -1),                           # the log of an empty sum
    ("logsumexp", np.zeros((0, 3)), -1),
    ("logsumexp", np.zeros((0, 3)), 0),
    ("logsumexp", np.array([1000, 0, 0]), 0),                  # integers become float64
    ("softmax", np.array([1000.0, 0.0, 0.0, 0.0]), -1),        # test_softmax_fixtures
    ("softmax", np.array([1.0, 1.0]), -1),
    ("softmax", np.array([0.0, 1.0]), -1),
    ("softmax", np.arange(4.0), -1),
    ("softmax", np.arange(4.0) + 100, -1),                     # translation
    ("softmax", np.arange(4.0).reshape(2, 2), None),
    ("softmax", np.array([[1000.0, 0.0], [1000.0, 0.0]]), 0),  # test_softmax_multi_axes
    ("softmax", np.array([[1000.0, 0.0], [1000.0, 0.0]]), 1),
    ("softmax", np.array([1000, 0, 0, 0]), -1),                # test_softmax_int_array
    ("softmax", np.array([NEG, 0.0, 1.0]), -1),                # masked
    ("softmax", np.array([[NEG, 0.0], [2.0, NEG], [NEG, NEG + 1]], np.float32), 0),
    ("softmax", np.zeros((0, 4)), -1),
    ("log_softmax", np.array([1000.0, 1.0]), -1),              # test_log_softmax_basic
    ("log_softmax", np.array([1000, 1]), -1),
    ("log_softmax", np.arange(4.0) + 1e2, -1),                 # test_log_softmax_translation
    ("log_softmax", np.arange(4.0) - 1e3, -1),
    ("log_softmax", np.arange(4.0).reshape(2, 2), None),       # test_log_softmax_noneaxis
    ("log_softmax", np.array([[100.0, 1000.0], [1e10, 1e-10]]), 1),
    ("log_softmax", np.array([[100.0, 1000.0], [1e10, 1e-10]]).T, 0),
    ("log_softmax", np.array([NEG, 0.0, 1.0], np.float32), -1),
    ("log_softmax", np.array([[NEG, 3.0], [1.0, NEG]]), None),
]


@pytest.mark.parametrize("op,z,axis", CASES,
                         ids=[f"{op}-{np.shape(z)}-{np.asarray(z).dtype}-axis{axis}-{i}"
                              for i, (op, z, axis) in enumerate(CASES)])
def test_scipys_cases_give_scipys_results(op, z, axis):
    want = getattr(special, op)(z, axis=axis)
    got = getattr(ns, op)(z, axis=axis)
    assert type(got) is type(want), (type(got), type(want))  # np.float64(...) for a scalar
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))  # the masks exactly
    fin = np.isfinite(want)
    assert np.all(np.isfinite(got[fin]))
    eps = np.finfo(want.dtype).eps
    n = max(np.size(z) if axis is None else np.shape(z)[axis], 1)
    allowed = ULPS * eps * (np.abs(want[fin]) + np.log(n) + (1 if op == "softmax" else 0))
    assert np.all(np.abs(got[fin] - want[fin]) <= allowed)


@pytest.mark.parametrize("call,needle", [
    (lambda f: f.logsumexp(np.array([1 + 1j, 2.0]), axis=-1), "float32 or float64"),
    (lambda f: f.logsumexp(np.array([1.0, 2.0]), axis=-1, b=np.array([1.0, 2.0])), "b="),
    (lambda f: f.logsumexp(np.array([1.0, 2.0]), axis=-1, return_sign=True), "return_sign="),
    (lambda f: f.logsumexp(np.ones((2, 3)), axis=-1, keepdims=True), "keepdims="),
    (lambda f: f.logsumexp(np.ones((2, 3, 4)), axis=(1, 2)), "axis must be an integer"),
    (lambda f: f.softmax(np.ones((2, 3, 4)), axis=(1, 2)), "axis must be an integer"),
    (lambda f: f.softmax(1000.0, axis=-1), "at least 1 dimension, got a scalar"),
    (lambda f: f.log_softmax(1.0, axis=-1), "at least 1 dimension, got a scalar"),
    (lambda f: f.logsumexp(np.array([np.inf, 0.0]), axis=-1), "is +inf"),
    (lambda f: f.logsumexp(np.array([np.nan, 0.0]), axis=-1), "is NaN"),
    (lambda f: f.softmax(np.array([NEG, NEG]), axis=-1), "fully masked"),
    (lambda f: f.softmax(np.array([]), axis=-1), "needs at least one class"),
])
def test_outside_the_overlap_scipy_answers_and_ours_refuse_in_one_line(call, needle):
    with np.errstate(all="ignore"):
        try:
            call(special)  # SciPy answers, or raises NumPy's raw error (softmax of [])
        except ValueError:
            pass
    with pytest.raises(InputError) as e:
        call(ns)
    assert needle in str(e.value) and "\n" not in str(e.value)
