"""numpy_softmax against exact arithmetic (parity_tests.exact, mpmath at 60 digits on the exact
float inputs), in every regime of parity_tests.accuracy, float32 and float64:

  log_softmax, cross_entropy  within 8 ulps of the exact value (the log1p form with the shift's
                              rounding put back: measured at most ~1.2 ulps, docs/parity.md)
  logsumexp                   within 4 ulps away from cancellation; where lse cancels to ~0
                              ("lse near 0"), within 4 eps of its condition-aware scale
  softmax, grad_logits        within their backward-stable bound: 4 eps of the condition-aware
                              scale p (1 + |z - max z|) (+ Y, / N for the gradient)
  -inf masks                  exact: -inf stays -inf, its probability and gradient exactly 0

The textbook form (log of the shifted sum) fails the first line by ~1e7 (float32) and ~1e15
(float64) ulps on a confident row: the last test says so, so that these bounds can fail.
"""
import numpy as np
import pytest

pytest.importorskip("mpmath")

from parity_tests import accuracy, exact  # noqa: E402

ULPS = {"log_softmax": 8, "cross_entropy": 8, "logsumexp": 4}
CONDITION = 4  # eps of the condition-aware scale (parity_tests.accuracy's docstring)
NUMPY = accuracy.IMPLEMENTATIONS["numpy_softmax"][0]()
TEXTBOOK = accuracy.IMPLEMENTATIONS["textbook NumPy (log)"][0]()
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@DTYPES
@pytest.mark.parametrize("regime", list(accuracy.REGIMES))
def test_numpy_softmax_is_within_a_few_ulps_of_exact(regime, dtype):
    for z, y in accuracy.draws(regime, dtype, 2):
        ex = accuracy.exact_values(z, y)
        for op, f in NUMPY.items():
            err = accuracy.errors(op, f(z, y), z, y, ex)
            where = f"{op}, {regime}, {np.dtype(dtype).name}: {err}"
            if op in ULPS and not (op == "logsumexp" and regime == "lse near 0"):
                assert err["ulps"] <= ULPS[op], where
            if op in accuracy.CONDITION_OPS:
                assert err["condition"] <= CONDITION, where


@DTYPES
def test_masks_stay_exact(dtype):
    z, y = next(accuracy.draws("-inf masks", dtype, 1))
    masked = np.isneginf(z)
    assert masked.any() and not masked.all(axis=1).any()
    lp, p, g = (NUMPY[op](z, y) for op in ("log_softmax", "softmax", "grad_logits"))
    assert np.all(np.isneginf(lp[masked])) and np.all(p[masked] == 0) and np.all(g[masked] == 0)
    assert np.all(np.isfinite(lp[~masked]))
    assert np.all(exact.ulps(lp, exact.log_softmax(z), dtype) < ULPS["log_softmax"])


@DTYPES
def test_the_textbook_form_loses_a_confident_rows_digits_and_log1p_keeps_them(dtype):
    """The bounds above can fail: the log of the shifted sum, on the dominant-class regime,
    is off by about 1/eps ulps (its confident rows' losses come out as 0)."""
    z, y = next(accuracy.draws("dominant class", dtype, 1))
    ex = accuracy.exact_values(z, y)
    naive = accuracy.errors("cross_entropy", TEXTBOOK["cross_entropy"](z, y), z, y, ex)
    ours = accuracy.errors("cross_entropy", NUMPY["cross_entropy"](z, y), z, y, ex)
    assert naive["ulps"] > 1e6 and ours["ulps"] <= ULPS["cross_entropy"], (naive, ours)
    assert TEXTBOOK["log_softmax"](z)[np.arange(len(y)), y].max() == 0  # log(1 + r) = log 1
