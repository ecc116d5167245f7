"""The model's chain rule: shapes, then values, then gradients (vs finite differences)."""
import numpy as np
import pytest

import numpy_softmax as ns


def test_init_params_follows_the_seed(rng):
    p = ns.init_params(seed=3)
    assert p.W.shape == (784, 10) and p.b.shape == (10,)
    assert p.W.dtype == np.float32 and p.b.dtype == np.float32
    assert np.all(p.b == 0)
    assert abs(float(p.W.std()) - 0.01) < 0.0005 and abs(float(p.W.mean())) < 0.0005


def test_init_params_is_deterministic_and_seed_dependent():
    a, b, c = ns.init_params(seed=1), ns.init_params(seed=1), ns.init_params(seed=2)
    assert np.array_equal(a.W, b.W)
    assert not np.array_equal(a.W, c.W)


def test_init_params_float64_rounds_to_float32_init():
    p32 = ns.init_params(seed=5)
    p64 = ns.init_params(seed=5, dtype=np.float64)
    assert p64.W.dtype == np.float64
    np.testing.assert_array_equal(p64.W.astype(np.float32), p32.W)


def test_logits_is_x_w_plus_b(rng):
    p = ns.Params(rng.standard_normal((6, 3)), rng.standard_normal(3))
    X = rng.standard_normal((4, 6))
    Z = ns.logits(p, X)
    assert Z.shape == (4, 3)
    ref = np.array([[sum(X[n, d] * p.W[d, c] for d in range(6)) + p.b[c] for c in range(3)]
                    for n in range(4)])
    np.testing.assert_allclose(Z, ref, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_and_grads_shapes_and_dtypes(rng, dtype):
    p = ns.init_params(6, 3, seed=0, dtype=dtype)
    X = rng.random((5, 6)).astype(dtype)
    loss, g = ns.loss_and_grads(p, X, [0, 1, 2, 1, 0])
    assert isinstance(g, ns.Params)
    assert g.W.shape == (6, 3) and g.b.shape == (3,)
    assert g.W.dtype == dtype and g.b.dtype == dtype and loss.dtype == dtype


def test_loss_and_grads_match_finite_differences_float64(rng):
    D, C, N = 7, 4, 9
    p = ns.Params(rng.standard_normal((D, C)), rng.standard_normal(C))
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    loss, g = ns.loss_and_grads(p, X, y)
    h = 1e-5

    def f(W, b):
        return float(ns.cross_entropy(X @ W + b, y))

    assert abs(float(loss) - f(p.W, p.b)) < 1e-15
    for d in range(D):
        for c in range(C):
            Wp, Wm = p.W.copy(), p.W.copy()
            Wp[d, c] += h
            Wm[d, c] -= h
            num = (f(Wp, p.b) - f(Wm, p.b)) / (2 * h)
            assert abs(num - g.W[d, c]) <= 1e-8 * max(1.0, abs(num))
    for c in range(C):
        bp, bm = p.b.copy(), p.b.copy()
        bp[c] += h
        bm[c] -= h
        num = (f(p.W, bp) - f(p.W, bm)) / (2 * h)
        assert abs(num - g.b[c]) <= 1e-8 * max(1.0, abs(num))


def test_sgd_step_moves_against_the_gradient():
    p = ns.Params(np.ones((2, 2), np.float32), np.zeros(2, np.float32))
    g = ns.Params(np.array([[1, -2], [0, 4]], np.float32), np.array([1, 0], np.float32))
    q = ns.sgd_step(p, g, 0.5)
    np.testing.assert_array_equal(q.W, [[0.5, 2.0], [1.0, -1.0]])
    np.testing.assert_array_equal(q.b, [-0.5, 0.0])
    assert q.W.dtype == np.float32
    np.testing.assert_array_equal(p.W, np.ones((2, 2)))  # the old Params are untouched


def test_one_sgd_step_lowers_the_loss_on_a_small_problem(rng):
    X = rng.random((32, 10))
    y = rng.integers(0, 3, size=32)
    p = ns.init_params(10, 3, seed=0, dtype=np.float64)
    l0, g = ns.loss_and_grads(p, X, y)
    l1, _ = ns.loss_and_grads(ns.sgd_step(p, g, 0.1), X, y)
    assert l1 < l0


def test_sgd_step_keeps_float32_with_a_numpy_float64_learning_rate():
    p = ns.Params(np.ones((2, 2), np.float32), np.zeros(2, np.float32))
    g = ns.Params(np.ones((2, 2), np.float32), np.ones(2, np.float32))
    q = ns.sgd_step(p, g, np.float64(0.1))
    assert q.W.dtype == np.float32 and q.b.dtype == np.float32
    cfg = ns.TrainConfig(lr=np.float64(0.01))
    assert type(cfg.lr) is float
