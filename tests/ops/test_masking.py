"""Masked logits (-inf entries) and the API's edges (issue 15): closed-form values, exact zeros,
the errors where no answer exists (each one line, naming the argument and the first bad row),
empty inputs, 0-d inputs and full reductions."""
import math

import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import InputError, loop

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 2e-6, np.float64: 1e-13}
NEG = -np.inf


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return request.param


def masked(dtype):
    """Row 0 masks class 0; row 1 masks classes 1 and 2; row 2 is unmasked."""
    return np.array([[NEG, 0.0, 1.0], [2.0, NEG, NEG], [0.0, 1.0, 2.0]], dtype)  # (3, 3)


def one_line(e) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


# --- the values -------------------------------------------------------------------------------

def test_masked_classes_get_softmax_0_log_softmax_minus_inf_and_are_ignored_by_logsumexp(dtype):
    z = masked(dtype)
    p, lp, lse = ns.softmax(z), ns.log_softmax(z), ns.logsumexp(z)
    assert p.dtype == lp.dtype == lse.dtype == dtype
    e = 1 / (1 + math.e)  # softmax([0, 1]) = [e, 1 - e]
    np.testing.assert_allclose(p[0], [0, e, 1 - e], rtol=RTOL[dtype])
    assert p[0, 0] == 0 and p[1].tolist() == [1, 0, 0]  # exactly
    assert lp[0, 0] == NEG and lp[1, 1] == NEG and lp[1, 2] == NEG and lp[1, 0] == 0
    np.testing.assert_allclose(lp[0, 1:], np.log([e, 1 - e]), rtol=RTOL[dtype])
    np.testing.assert_allclose(lse, [math.log(1 + math.e), 2.0, math.log(1 + math.e + math.e ** 2)],
                               rtol=RTOL[dtype])


def test_masking_equals_dropping_the_masked_classes(dtype, rng):
    z = rng.normal(size=(1, 6)).astype(dtype) * 3
    keep = np.array([True, False, True, True, False, True])
    zm = np.where(keep, z, NEG)
    np.testing.assert_allclose(ns.softmax(zm)[:, keep], ns.softmax(z[:, keep]), rtol=RTOL[dtype])
    np.testing.assert_allclose(ns.log_softmax(zm)[:, keep], ns.log_softmax(z[:, keep]),
                               rtol=RTOL[dtype])
    np.testing.assert_allclose(ns.logsumexp(zm), ns.logsumexp(z[:, keep]), rtol=RTOL[dtype])
    assert ns.cross_entropy(zm, [3]) == pytest.approx(float(ns.cross_entropy(z[:, keep], [2])),
                                                       rel=RTOL[dtype])


@pytest.mark.parametrize("top", [1e4, -1e4, 88.8, 1e30])
def test_the_max_shift_stays_right_with_masked_entries(dtype, top):
    """The row max is finite when one entry is: exp(-inf - m) = 0 exactly, and the rest shifts as
    without the mask (a naive exp overflows at 88.8 in float32)."""
    z = np.array([[NEG, top, top - 1.0, NEG]], dtype)
    a, b = float(z[0, 1]), float(z[0, 2])  # the values the op sees (1e30 - 1 rounds to 1e30)
    p = ns.softmax(z)
    assert p[0, 0] == 0 and p[0, 3] == 0 and np.all(np.isfinite(p))
    np.testing.assert_allclose(p[0, 1:3], [1 / (1 + math.exp(b - a)), 1 / (1 + math.exp(a - b))],
                               rtol=RTOL[dtype])
    assert ns.logsumexp(z)[0] == pytest.approx(a + math.log1p(math.exp(b - a)), rel=RTOL[dtype])


def test_a_masked_entry_gets_a_gradient_of_exactly_zero(dtype):
    z = masked(dtype)
    for labels in ([1, 0, 2], np.array([[0, 0.5, 0.5], [1, 0, 0], [0.2, 0.3, 0.5]], dtype)):
        g = ns.grad_logits(z, labels)
        assert g.dtype == dtype
        assert np.all(g[z == NEG] == 0)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g.sum(axis=1), 0, atol=4 * np.finfo(dtype).eps)


def test_the_loss_is_inf_exactly_when_the_true_class_is_masked(dtype):
    z = masked(dtype)
    assert np.isfinite(ns.cross_entropy(z, [1, 0, 2]))
    for y in ([0, 0, 2], [1, 2, 2], [1, 1, 0]):
        L = ns.cross_entropy(z, y)
        assert L == np.inf and L.dtype == dtype, y


def test_probability_rows_on_masked_logits_follow_zero_log_zero(dtype):
    """TF's dense xent gives 0 * -inf = NaN for a masked class the label does not weight; ours
    gives the limit (the same loss with the masked class dropped), and inf where the label does
    weight a masked class (as TF)."""
    z = masked(dtype)
    Y = np.array([[0, 0.5, 0.5], [1, 0, 0], [0, 0, 1]], dtype)
    want = np.mean([-0.5 * (ns.log_softmax(z[0, 1:])).sum(), 0.0, -ns.log_softmax(z[2])[2]])
    assert float(ns.cross_entropy(z, Y)) == pytest.approx(want, rel=RTOL[dtype])
    Y[0] = [0.5, 0.5, 0]
    assert ns.cross_entropy(z, Y) == np.inf


def test_accuracy_never_predicts_a_masked_class(dtype):
    z = np.array([[NEG, -50.0], [-1e4, NEG]], dtype)
    assert ns.accuracy(z, [1, 0]) == 1.0
    assert ns.accuracy(z, [0, 1]) == 0.0


def test_the_divergence_guard_stops_on_the_inf_loss_of_a_masked_true_class():
    L = ns.cross_entropy(masked(np.float32), [0, 0, 2])  # row 0's true class is masked
    with pytest.raises(ns.DivergenceError, match="the loss is NaN or inf") as e:
        loop.check_loss(float(L), 2, 7, 0.01, loop.loss_limit(3))
    assert (e.value.epoch, e.value.step) == (2, 7)


# --- no answer: one line, naming the argument and the first bad row ---------------------------

@pytest.mark.parametrize("fn", [ns.softmax, ns.log_softmax])
def test_a_fully_masked_row_has_no_softmax(fn):
    z = masked(np.float64)
    z[2] = NEG
    with pytest.raises(InputError) as e:
        fn(z)
    assert one_line(e).startswith("z[2, :] is fully masked")
    with pytest.raises(InputError, match=r"^z\[:, 1\] is fully masked"):
        fn(np.array([[0.0, NEG], [1.0, NEG]]), axis=0)
    with pytest.raises(InputError, match=r"^z is fully masked"):
        fn(np.full((2, 2), NEG), axis=None)


@pytest.mark.parametrize("fn", [ns.cross_entropy, ns.grad_logits, ns.accuracy])
def test_a_fully_masked_row_has_no_loss_gradient_or_prediction(fn):
    z = masked(np.float32)
    z[1, 0] = NEG
    with pytest.raises(InputError) as e:
        fn(z, [1, 0, 2])
    assert one_line(e).startswith("logits[1, :] is fully masked")


def test_logsumexp_of_a_fully_masked_row_is_minus_inf_as_tf_and_scipy(dtype):
    z = np.array([[NEG, NEG], [0.0, NEG]], dtype)
    np.testing.assert_array_equal(ns.logsumexp(z), [NEG, 0.0])
    assert ns.logsumexp(z, axis=None) == 0.0


def test_the_gradient_of_an_inf_loss_is_refused_naming_the_row(dtype):
    z = masked(dtype)
    with pytest.raises(InputError) as e:
        ns.grad_logits(z, [1, 2, 2])
    assert one_line(e).startswith("labels row 1 puts its weight on a masked class")
    Y = np.array([[0, 0.5, 0.5], [0.5, 0.5, 0], [0, 0, 1]], dtype)
    with pytest.raises(InputError, match="labels row 1"):
        ns.grad_logits(z, Y)


@pytest.mark.parametrize("bad,shown", [(np.nan, "NaN"), (np.inf, "+inf")])
def test_nan_and_plus_inf_are_refused_everywhere_naming_the_first_entry(bad, shown):
    z = masked(np.float64)
    z[2, 1], z[2, 2] = bad, bad
    for fn in (ns.softmax, ns.log_softmax, ns.logsumexp):
        with pytest.raises(InputError) as e:
            fn(z)
        assert one_line(e).startswith(f"z[2, 1] is {shown}; ")
    with pytest.raises(InputError, match=r"^z\[3\] is"):
        ns.logsumexp(np.array([0.0, 1.0, NEG, bad]))


# --- the edges: empty, 0-d, full reductions, what SciPy has and we do not ----------------------

def test_zero_rows_give_empty_results_of_the_right_shape_and_dtype(dtype):
    z = np.zeros((0, 4), dtype)
    for fn in (ns.softmax, ns.log_softmax):
        out = fn(z)
        assert out.shape == (0, 4) and out.dtype == dtype
    lse = ns.logsumexp(z)
    assert lse.shape == (0,) and lse.dtype == dtype
    out = ns.softmax(np.zeros((2, 0, 3), dtype))
    assert out.shape == (2, 0, 3) and out.dtype == dtype


def test_logsumexp_over_an_empty_axis_is_minus_inf_the_log_of_an_empty_sum(dtype):
    for z, axis, want in ((np.zeros(0, dtype), -1, NEG), (np.zeros((0, 3), dtype), 0, [NEG] * 3),
                          (np.zeros((2, 0), dtype), 1, [NEG] * 2)):
        out = ns.logsumexp(z, axis=axis)
        assert np.asarray(out).dtype == dtype
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("fn", [ns.softmax, ns.log_softmax])
def test_softmax_over_an_empty_axis_is_a_clear_error_not_numpys(fn):
    for z, axis in ((np.array([]), -1), (np.zeros((0, 3)), 0), (np.zeros((3, 0)), -1)):
        with pytest.raises(InputError, match="needs at least one class along axis") as e:
            fn(z, axis=axis)
        one_line(e)


@pytest.mark.parametrize("fn,what", [(ns.cross_entropy, "the mean cross-entropy"),
                                     (ns.accuracy, "accuracy"),
                                     (ns.grad_logits, "the gradient of a mean")])
def test_the_mean_of_zero_rows_is_refused(fn, what):
    with pytest.raises(InputError) as e:
        fn(np.zeros((0, 3)), np.zeros(0, np.int64))
    assert one_line(e) == f"logits has 0 rows; {what} needs N >= 1"


@pytest.mark.parametrize("fn", [ns.logsumexp, ns.softmax, ns.log_softmax])
def test_a_0d_input_is_refused_in_one_short_line(fn):
    for z in (3.0, np.float32(3.0), np.array(3.0)):
        with pytest.raises(InputError) as e:
            fn(z)
        assert one_line(e) == "z needs at least 1 dimension, got a scalar"


def test_full_reductions_return_numpy_scalars_of_the_input_dtype(dtype):
    z = np.array([[0.5, NEG], [1.0, 2.0]], dtype)
    for out in (ns.logsumexp(z[1]), ns.logsumexp(z, axis=None), ns.logsumexp(z[0]),
                ns.cross_entropy(z, [0, 1])):
        assert type(out) is dtype, type(out)
    assert ns.logsumexp(z, axis=None) == pytest.approx(
        math.log(math.exp(0.5) + math.e + math.e ** 2), rel=RTOL[dtype])


def test_axis_none_works_on_the_whole_array_like_scipy(dtype, rng):
    z = rng.normal(size=(3, 4)).astype(dtype)
    np.testing.assert_allclose(ns.softmax(z, axis=None),
                               ns.softmax(z.reshape(-1)).reshape(3, 4), rtol=RTOL[dtype])
    np.testing.assert_allclose(ns.log_softmax(z, axis=None),
                               ns.log_softmax(z.reshape(-1)).reshape(3, 4), rtol=RTOL[dtype])


@pytest.mark.parametrize("call,needle", [
    (lambda: ns.logsumexp(np.zeros(3), b=np.ones(3)), "takes only z and axis, got b="),
    (lambda: ns.logsumexp(np.zeros(3), return_sign=True), "got return_sign="),
    (lambda: ns.softmax(np.zeros(3), keepdims=True), "got keepdims="),
    (lambda: ns.log_softmax(np.zeros((2, 3)), axis=(0, 1)), "axis must be an integer"),
    (lambda: ns.logsumexp(np.zeros(3, complex)), "float32 or float64"),
    (lambda: ns.softmax(np.zeros((2, 2)), axis=2), "axis must be an integer in [-2, 2) or None"),
])
def test_what_scipy_has_and_we_do_not_is_refused_clearly(call, needle):
    with pytest.raises(InputError) as e:
        call()
    assert needle in one_line(e)
