"""numpy_softmax.gradcheck on functions whose gradients are known in closed form: it must pass
the right gradient, fail wrong ones (and say where), and refuse arguments it cannot use."""
import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax.errors import InputError
from numpy_softmax.gradcheck import GradcheckReport, rel_error


def f_smooth(x):
    return float(np.sum(np.sin(x) * x ** 2))


def grad_smooth(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x)  # d/dx sin(x) x^2


@pytest.fixture
def x(rng):
    return rng.uniform(-2, 2, (5, 7))


def test_the_exact_gradient_passes_every_entry(x):
    r = ns.gradcheck(f_smooth, x, grad_smooth(x))
    assert isinstance(r, GradcheckReport)
    assert r.mode == "full" and r.n_entries == x.size and r.shape == x.shape
    assert r.passed and r.problem is None
    assert r.max_rel_error < 1e-9 and r.median_rel_error <= r.max_rel_error
    assert r.n_directions == 10 and r.direction_max_rel_error < 1e-9
    assert "PASS" in r.summary()


def test_a_gradient_one_percent_wrong_fails_with_relative_error_near_1e_2(x):
    r = ns.gradcheck(f_smooth, x, grad_smooth(x) * 1.01)
    assert not r.passed
    assert r.max_rel_error == pytest.approx(0.01 / 1.01, rel=1e-4)
    assert "FAIL" in r.summary()


def test_a_single_wrong_entry_is_the_worst_entry_reported(x):
    g = grad_smooth(x)
    g[3, 4] += 0.5
    r = ns.gradcheck(f_smooth, x, g, n_worst=3)
    assert not r.passed
    assert r.worst[0].index == (3, 4)
    assert r.worst[0].analytic == g[3, 4]
    assert r.worst[0].numeric == pytest.approx(grad_smooth(x)[3, 4], abs=1e-9)
    assert [e.rel_error for e in r.worst] == sorted((e.rel_error for e in r.worst), reverse=True)
    assert len(r.worst) == 3


def test_relative_error_is_floored_and_never_passes_nan():
    assert rel_error(0.0, 1e-12, floor=1e-5) == pytest.approx(1e-7)
    assert rel_error(2.0, 1.0, floor=1e-5) == pytest.approx(0.5)
    assert rel_error(0.0, 0.0, floor=0.0) == 0.0
    assert rel_error(np.nan, 1.0, floor=1e-5) == np.inf
    assert rel_error(1.0, np.inf, floor=1e-5) == np.inf


def test_large_inputs_are_sampled_and_checked_along_random_directions(rng):
    x = rng.uniform(-1, 1, 5000)
    r = ns.gradcheck(f_smooth, x, grad_smooth(x), max_full=1000, n_samples=50, n_directions=4)
    assert r.mode == "sampled" and r.n_entries == 50 and r.n_directions == 4
    assert r.passed


def test_the_direction_check_catches_an_entry_the_sample_missed(rng):
    x = rng.uniform(-1, 1, 400)
    g = grad_smooth(x)
    sampled = ns.gradcheck(f_smooth, x, g, max_full=0, n_samples=1, seed=3).worst[0].index[0]
    wrong = (sampled + 1) % x.size
    g[wrong] += 1.0
    r = ns.gradcheck(f_smooth, x, g, max_full=0, n_samples=1, seed=3, n_directions=4)
    assert r.worst[0].index[0] == sampled and r.worst[0].rel_error < 1e-9  # the sample is fine
    assert r.direction_max_rel_error > 1e-3
    assert not r.passed


def test_a_gradient_of_the_wrong_shape_fails_and_says_so(x):
    r = ns.gradcheck(f_smooth, x, grad_smooth(x).T)
    assert not r.passed and r.mode == "not run"
    assert "shape (7, 5)" in r.problem and "(5, 7)" in r.problem


def test_nan_in_the_gradient_or_in_f_fails(x):
    g = grad_smooth(x)
    g[0, 0] = np.nan
    r = ns.gradcheck(f_smooth, x, g, max_full=0, n_samples=3)  # NaN entry maybe not sampled
    assert not r.passed and "non-finite" in r.problem
    r = ns.gradcheck(lambda v: np.nan, x, grad_smooth(x))
    assert not r.passed


def test_x_is_left_alone_and_f_sees_float64():
    x = np.linspace(-1, 1, 6).astype(np.float32)
    before = x.copy()
    seen = set()

    def f(v):
        seen.add(v.dtype)
        return float(np.sum(v ** 3))

    r = ns.gradcheck(f, x, lambda v: 3 * v ** 2)  # grad may be a function of x
    np.testing.assert_array_equal(x, before)
    assert seen == {np.dtype(np.float64)}
    assert r.passed


def test_order_2_differences_pass_at_their_own_step(x):
    r = ns.gradcheck(f_smooth, x, grad_smooth(x), order=2, h=1e-5, threshold=1e-6)
    assert r.passed and r.order == 2 and r.max_rel_error > 1e-12  # coarser than order 4


def test_zero_gradients_of_a_large_loss_pass_at_the_noise_floor():
    """f = 500 + x0^2 at x0 = 0: the true gradient is 0 and the differences are rounding noise
    of f ~ 500; the floor rises to noise / threshold so that noise is not called an error."""
    x = np.array([0.0, 1.0])
    r = ns.gradcheck(lambda v: 500.0 + v[0] ** 2 + v[1], x, np.array([0.0, 1.0]))
    assert r.passed and r.floor > 1e-5 and r.noise > 0


@pytest.mark.parametrize("kwargs,match", [
    (dict(h=0.0), "h must be"), (dict(order=3), "order must be"),
    (dict(floor=-1.0), "floor must be"), (dict(threshold=np.nan), "threshold must be"),
])
def test_unusable_arguments_raise_input_error(x, kwargs, match):
    with pytest.raises(InputError, match=match):
        ns.gradcheck(f_smooth, x, grad_smooth(x), **kwargs)


def test_f_must_return_a_scalar_and_x_must_be_finite_and_non_empty(x):
    with pytest.raises(InputError, match="scalar"):
        ns.gradcheck(lambda v: v, x, grad_smooth(x))
    with pytest.raises(InputError, match="non-empty"):
        ns.gradcheck(f_smooth, np.zeros(0), np.zeros(0))
    with pytest.raises(InputError, match="NaN or inf"):
        ns.gradcheck(f_smooth, np.array([np.inf]), np.array([0.0]))


def test_gradcheck_imports_no_tensorflow(python_process):
    code = ("import sys, numpy_softmax.gradcheck as g; import numpy_softmax as ns; "
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    r = python_process("-c", code)
    assert r.code == 0, r.err
