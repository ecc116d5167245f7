"""docs/math.md, checked by numbers: one test per tagged formula, computed independently of the
code it describes where it can be (plain Python math, finite differences, TensorFlow), and a
test that every tag in the doc has its test here and every test its tag there."""
import math
import pathlib
import re

import numpy as np
import pytest

import numpy_softmax as ns

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "math.md"
TAG = re.compile(r"\\tag\{([A-Za-z0-9-]+)\}")
TF_NAME = re.compile(r"\btf\.[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]")

# float64 throughout unless a formula is about float32. Finite differences: central, h = 1e-5,
# on float64 -> relative error ~1e-9..1e-8 on real gradients (measured); 1e-6 leaves room and
# still catches a gradient that is 1% wrong (~5e-3). TF vs NumPy in float64: a few ulps.
H = 1e-5
FD_RTOL, FD_ATOL = 1e-6, 1e-9
TF64 = 1e-12

FORMULAS = {}


def formula(tag):
    """Register the test of the formula tagged `tag` in docs/math.md."""
    def deco(fn):
        FORMULAS[tag] = fn
        return fn
    return deco


def central_diff(f, x):
    """df/dx of a scalar function of an array x (float64), by central differences."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = H
        g[i] = (f(x + e) - f(x - e)) / (2 * H)
    return g


@pytest.fixture(scope="module")
def tf():
    import tensorflow
    return tensorflow


@pytest.fixture
def batch(rng):
    N, D, C = 6, 5, 4
    X = rng.normal(size=(N, D))
    params = ns.Params(rng.normal(size=(D, C)), rng.normal(size=C))
    y = rng.integers(0, C, N)
    return X, y, params


def exact_softmax(z):
    """Softmax by the definition, in plain Python floats (no shift: small z only)."""
    e = [math.exp(v) for v in z]
    return [v / math.fsum(e) for v in e]


@formula("lse-log1p")
def test_lse_log1p_keeps_the_digits_of_a_confident_row(rng):
    """m + log1p(r) is lse(z), and keeps a confident row's digits: against mpmath, exactly."""
    mpmath = pytest.importorskip("mpmath")
    for z in ([0.0, -40.0, -40.0], [3.0, 1.0, -2.0, 0.5], list(rng.normal(0, 3, 7))):
        with mpmath.workdps(50):
            want = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in z))
            got = ns.logsumexp(np.array(z))
            assert abs(mpmath.mpf(float(got)) - want) <= 4 * np.finfo(float).eps * abs(want)
            k = int(np.argmax(z))
            r = mpmath.fsum(mpmath.exp(mpmath.mpf(v) - z[k]) for j, v in enumerate(z) if j != k)
            top = ns.log_softmax(np.array(z))[k]  # -log1p(r): 8.5e-18 for the first row
            assert abs(mpmath.mpf(float(top)) + mpmath.log1p(r)) <= 4 * np.finfo(float).eps * r
    assert np.log(np.sum(np.exp(np.array([0.0, -40.0, -40.0])))) == 0.0  # the form log1p avoids


# --- the doc and the tests match ---------------------------------------------------------------

def test_every_formula_in_the_doc_has_a_test_and_every_test_a_formula():
    tags = TAG.findall(DOC.read_text())
    assert len(tags) == len(set(tags)), "a tag is used twice"
    assert set(tags) == set(FORMULAS)
    assert len(tags) >= 20
    for fn in FORMULAS.values():  # each is a module-level test_* function: pytest runs it
        assert fn.__name__.startswith("test_") and globals()[fn.__name__] is fn


def test_every_tf_op_the_doc_names_exists(tf):
    names = set(TF_NAME.findall(DOC.read_text()))
    assert {"tf.nn.softmax", "tf.nn.log_softmax", "tf.reduce_logsumexp",
            "tf.nn.softmax_cross_entropy_with_logits",
            "tf.compat.v1.train.GradientDescentOptimizer"} <= names
    for name in names:
        obj = tf
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)  # AttributeError: the doc names an op TF does not have
        assert obj is not None


# --- 1. log-odds and the logits ---------------------------------------------------------------

@formula("log-odds")
def test_log_odds(tf):
    p = np.array([0.01, 0.25, 0.5, 0.9, 0.99])
    want = [math.log(v) - math.log1p(-v) for v in p]
    assert np.log(p / (1 - p)) == pytest.approx(want, rel=1e-12)
    assert tf.math.log(p / (1 - p)).numpy() == pytest.approx(want, rel=1e-12)
    assert want[2] == 0 and want[0] == pytest.approx(-want[-1])  # odd about p = 1/2


@formula("sigmoid")
def test_sigmoid_inverts_the_logit(tf):
    p = np.array([0.01, 0.3, 0.5, 0.8, 0.99])
    t = np.log(p / (1 - p))
    np.testing.assert_allclose(1 / (1 + np.exp(-t)), p, rtol=1e-14)
    np.testing.assert_allclose(tf.math.sigmoid(t).numpy(), p, rtol=1e-14)
    # with two classes softmax is the sigmoid of the score difference
    z = np.array([1.7, -0.4])
    assert ns.softmax(z)[0] == pytest.approx(1 / (1 + math.exp(-(z[0] - z[1]))), rel=1e-14)


@formula("logits")
def test_logits_by_the_sum(tf, batch):
    X, y, (W, b) = batch
    Z = ns.logits(ns.Params(W, b), X)
    for n in range(X.shape[0]):
        for c in range(W.shape[1]):
            want = math.fsum(X[n, d] * W[d, c] for d in range(X.shape[1])) + b[c]
            assert Z[n, c] == pytest.approx(want, rel=1e-13, abs=1e-13)
    np.testing.assert_allclose((tf.matmul(X, W) + b).numpy(), Z, rtol=TF64, atol=TF64)


@formula("n-params")
def test_785_parameters_per_class(tf):
    W, b = ns.init_params()
    assert W.shape == (28 * 28, 10) and b.shape == (10,)
    assert W.shape[0] + 1 == 785
    assert W.size + b.size == 7850 == int(tf.size(W) + tf.size(b))


# --- 2. softmax --------------------------------------------------------------------------------

@formula("softmax")
def test_softmax_is_the_normalised_exp(tf):
    z = np.array([0.5, -1.25, 2.0, 0.0])
    want = exact_softmax(z)
    np.testing.assert_allclose(ns.softmax(z), want, rtol=1e-15)
    np.testing.assert_allclose(tf.nn.softmax(z).numpy(), want, rtol=1e-15)
    assert math.fsum(want) == pytest.approx(1, abs=1e-15)


@formula("softmax-log-odds")
def test_logit_differences_are_log_odds_between_classes(tf):
    z = np.array([3.0, 1.0, -2.0, 0.5])
    s = exact_softmax(z)
    for i, j in [(0, 1), (1, 2), (3, 0)]:
        assert math.log(s[i] / s[j]) == pytest.approx(z[i] - z[j], rel=1e-13)
        ls = tf.nn.log_softmax(z).numpy()
        assert ls[i] - ls[j] == pytest.approx(z[i] - z[j], rel=1e-13)


@formula("shift")
def test_softmax_is_shift_invariant(tf):
    z = np.array([0.2, 1.0, -0.7])
    for a in (-5.0, 3.0, 1000.0):
        np.testing.assert_allclose(ns.softmax(z + a), exact_softmax(z), rtol=1e-12)
        np.testing.assert_allclose(tf.nn.softmax(z + a).numpy(), exact_softmax(z), rtol=1e-12)


@formula("spread")
def test_plain_normalisation_ignores_the_spread_softmax_does_not(tf):
    z = np.array([1.0, 1.2, 1.5, 2.0, 3.0])
    for k in (2.0, 10.0):
        np.testing.assert_allclose(k * z / np.sum(k * z), z / z.sum(), rtol=1e-15)
        np.testing.assert_allclose(((k * z) - (k * z).mean()) / (k * z).std(),
                                   (z - z.mean()) / z.std(), rtol=1e-12)
    tops = [float(tf.nn.softmax(k * z).numpy()[-1]) for k in (1, 2, 4, 8, 16)]
    assert all(a < b for a, b in zip(tops, tops[1:]))  # the top class takes more and more
    assert tops[-1] > 1 - 1e-6  # -> onehot(argmax z)
    assert exact_softmax(z)[-1] < 0.6


# --- 3. log-sum-exp and float32 ----------------------------------------------------------------

@formula("lse")
def test_log_sum_exp_trick(tf):
    z = np.array([0.3, -1.0, 2.5])
    want = math.log(math.fsum(math.exp(v) for v in z))
    m = z.max()
    assert m + math.log(np.sum(np.exp(z - m))) == pytest.approx(want, rel=1e-15)
    assert ns.logsumexp(z) == pytest.approx(want, rel=1e-15)
    assert float(tf.reduce_logsumexp(z)) == pytest.approx(want, rel=1e-15)
    big = np.array([1000.0, 999.0], np.float32)  # naive log(sum(exp)) is inf here
    assert ns.logsumexp(big) == pytest.approx(1000 + math.log1p(math.exp(-1)), rel=1e-6)


@formula("overflow")
def test_float32_exp_overflows_above_88_72(tf):
    assert math.log(float(np.finfo(np.float32).max)) == pytest.approx(88.72, abs=0.005)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isfinite(np.exp(np.float32(88.7)))
        assert np.isinf(np.exp(np.float32(88.8)))
        assert np.isinf(np.exp(np.float32(89)))
        naive = np.exp(np.float32([89, 0])) / np.sum(np.exp(np.float32([89, 0])))
    assert np.isfinite(tf.exp(tf.constant(88.7)).numpy())
    assert np.isinf(tf.exp(tf.constant(89.0)).numpy())
    assert np.isnan(naive[0])  # inf / inf: training is lost
    assert ns.softmax(np.float32([89, 0])) == pytest.approx([1, math.exp(-89)], abs=1e-30)
    assert math.log(float(np.finfo(np.float64).max)) == pytest.approx(709.78, abs=0.005)


@formula("log-softmax")
def test_log_softmax_is_z_minus_lse(tf):
    z = np.array([1.0, -0.5, 0.25])
    want = [v - math.log(math.fsum(math.exp(u) for u in z)) for v in z]
    np.testing.assert_allclose(ns.log_softmax(z), want, rtol=1e-14)
    np.testing.assert_allclose(tf.nn.log_softmax(z).numpy(), want, rtol=1e-14)
    far = np.float32([0, -200])  # e^-200 underflows to 0 in float32: log(softmax) = -inf
    with np.errstate(divide="ignore"):
        assert np.log(ns.softmax(far))[1] == -np.inf
    assert np.exp(np.float32(-104)) == 0 < np.exp(np.float32(-103))
    assert ns.log_softmax(far)[1] == pytest.approx(-200, rel=1e-6)
    assert tf.nn.log_softmax(far).numpy()[1] == pytest.approx(-200, rel=1e-6)


# --- 4. cross-entropy --------------------------------------------------------------------------

@formula("cross-entropy")
def test_cross_entropy_of_two_distributions(tf):
    p, q = [0.5, 0.25, 0.25], [0.25, 0.5, 0.25]
    want = -math.fsum(a * math.log(b) for a, b in zip(p, q))  # = 1.75 log 2
    assert want == pytest.approx(1.75 * math.log(2), rel=1e-15)
    got = tf.nn.softmax_cross_entropy_with_logits(labels=[p], logits=np.log([q]))
    assert float(got[0]) == pytest.approx(want, rel=1e-12)
    assert float(ns.cross_entropy(np.log([q]), np.array([p]))) == pytest.approx(want, rel=1e-12)


@formula("gibbs")
def test_cross_entropy_is_at_least_the_entropy(rng):
    for _ in range(200):
        p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
        H = lambda a, b: -np.sum(a * np.log(b))  # noqa: E731
        assert H(p, q) >= H(p, p) - 1e-12
    p = rng.dirichlet(np.ones(5))
    assert -np.sum(p * np.log(p)) == pytest.approx(float(ns.cross_entropy(np.log([p]), [p])))


@formula("loss")
def test_mean_cross_entropy_loss(tf, batch):
    X, y, params = batch
    Z = ns.logits(params, X)
    want = math.fsum(-math.log(exact_softmax(Z[n])[y[n]]) for n in range(len(y))) / len(y)
    assert float(ns.cross_entropy(Z, y)) == pytest.approx(want, rel=1e-13)
    Y = np.eye(Z.shape[1])[y]
    seeds = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=Y, logits=Z))
    sparse = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=Z))
    assert float(seeds) == pytest.approx(want, rel=1e-13)
    assert float(sparse) == pytest.approx(want, rel=1e-13)


@formula("loss-lse")
def test_row_loss_is_lse_minus_the_true_logit(tf, batch, rng):
    X, y, params = batch
    Z = ns.logits(params, X)
    N = len(y)
    rows = ns.logsumexp(Z, axis=1) - Z[np.arange(N), y]
    want = [-math.log(exact_softmax(Z[n])[y[n]]) for n in range(N)]
    np.testing.assert_allclose(rows, want, rtol=1e-13)
    tf_rows = tf.reduce_logsumexp(Z, axis=1) - tf.gather(Z, y, batch_dims=1)
    np.testing.assert_allclose(tf_rows.numpy(), want, rtol=1e-13)
    Y = rng.dirichlet(np.ones(Z.shape[1]), N)  # any rows that sum to 1, not only one-hot
    np.testing.assert_allclose(ns.logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1),
                               -np.sum(Y * ns.log_softmax(Z, axis=1), axis=1), rtol=1e-12)


@formula("uniform")
def test_knowing_nothing_costs_log_c(mnist):
    y = np.array([7, 2, 1, 0])
    assert float(ns.cross_entropy(np.zeros((4, 10)), y)) == pytest.approx(math.log(10))
    assert math.log(10) == pytest.approx(2.3026, abs=5e-5)
    # the seed's init (W ~ N(0, 0.01^2), b = 0) starts close to it on real images
    loss, _ = ns.loss_and_grads(ns.init_params(), mnist.test.images[:3], mnist.test.labels[:3])
    assert abs(float(loss) - math.log(10)) < 0.1


# --- 5. gradients with respect to the logits --------------------------------------------------

@formula("dlse")
def test_gradient_of_lse_is_softmax(tf, rng):
    z = rng.normal(size=6)
    g = central_diff(lambda v: float(ns.logsumexp(v)), z)
    np.testing.assert_allclose(g, ns.softmax(z), rtol=FD_RTOL, atol=FD_ATOL)
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        out = tf.reduce_logsumexp(zt)
    np.testing.assert_allclose(tape.gradient(out, zt).numpy(), exact_softmax(z), rtol=TF64)


@formula("dlogits")
def test_gradient_wrt_logits_is_softmax_minus_y_over_n(tf, batch):
    X, y, params = batch
    Z = ns.logits(params, X)
    N, C = Z.shape
    want = (np.array([exact_softmax(r) for r in Z]) - np.eye(C)[y]) / N
    fd = central_diff(lambda v: float(ns.cross_entropy(v, y)), Z)
    np.testing.assert_allclose(fd, want, rtol=FD_RTOL, atol=FD_ATOL)
    np.testing.assert_allclose(ns.grad_logits(Z, y), want, rtol=1e-12, atol=1e-15)
    Zt = tf.constant(Z)
    with tf.GradientTape() as tape:
        tape.watch(Zt)
        L = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=np.eye(C)[y],
                                                                   logits=Zt))
    np.testing.assert_allclose(tape.gradient(L, Zt).numpy(), want, rtol=TF64, atol=TF64)


@formula("softmax-jacobian")
def test_softmax_jacobian(tf, rng):
    z = rng.normal(size=4)
    s = ns.softmax(z)
    J = np.diag(s) - np.outer(s, s)  # J[i, j] = s_i (delta_ij - s_j)
    fd = np.stack([central_diff(lambda v: float(ns.softmax(v)[i]), z) for i in range(4)])
    np.testing.assert_allclose(fd, J, rtol=FD_RTOL, atol=FD_ATOL)
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        st = tf.nn.softmax(zt)
    np.testing.assert_allclose(tape.jacobian(st, zt).numpy(), J, rtol=TF64, atol=TF64)
    # the long road: -sum_i Y_i / s_i * J[i, j] = s_j - Y_j
    Y = np.eye(4)[2]
    np.testing.assert_allclose(-(Y / s) @ J, s - Y, rtol=1e-12, atol=1e-15)


@formula("dlogits-rows")
def test_gradient_rows_sum_to_zero(tf, batch):
    X, y, params = batch
    dZ = ns.grad_logits(ns.logits(params, X), y)
    np.testing.assert_allclose(dZ.sum(axis=1), 0, atol=1e-16)
    assert np.all(dZ[np.arange(len(y)), y] < 0)  # the true class is pushed up
    Zt = tf.constant(ns.logits(params, X))
    with tf.GradientTape() as tape:
        tape.watch(Zt)
        L = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=Zt))
    np.testing.assert_allclose(tf.reduce_sum(tape.gradient(L, Zt), axis=1).numpy(), 0,
                               atol=1e-16)


# --- 6. chain rule to W and b ------------------------------------------------------------------

def _tf_grads(tf, X, y, params):
    W, b = tf.Variable(params.W), tf.Variable(params.b)
    with tf.GradientTape() as tape:
        L = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=tf.matmul(X, W) + b))
    return [g.numpy() for g in tape.gradient(L, [W, b])]


@formula("dW")
def test_gradient_wrt_w_is_x_transpose_dz(tf, batch):
    X, y, params = batch
    dZ = ns.grad_logits(ns.logits(params, X), y)
    fd = central_diff(lambda W: float(ns.loss_and_grads(ns.Params(W, params.b), X, y)[0]),
                      params.W)
    np.testing.assert_allclose(X.T @ dZ, fd, rtol=FD_RTOL, atol=FD_ATOL)
    np.testing.assert_allclose(_tf_grads(tf, X, y, params)[0], X.T @ dZ, rtol=TF64, atol=TF64)
    np.testing.assert_allclose(tf.matmul(X, dZ, transpose_a=True).numpy(), X.T @ dZ, rtol=TF64)


@formula("db")
def test_gradient_wrt_b_sums_dz_over_rows(tf, batch):
    X, y, params = batch
    dZ = ns.grad_logits(ns.logits(params, X), y)
    fd = central_diff(lambda b: float(ns.loss_and_grads(ns.Params(params.W, b), X, y)[0]),
                      params.b)
    np.testing.assert_allclose(dZ.sum(axis=0), fd, rtol=FD_RTOL, atol=FD_ATOL)
    np.testing.assert_allclose(_tf_grads(tf, X, y, params)[1], dZ.sum(axis=0), rtol=TF64,
                               atol=TF64)


@formula("dead-pixels")
def test_pixels_that_are_always_zero_get_no_gradient(tf, mnist):
    X = mnist.train.images[:128].astype(np.float64)
    y = mnist.train.labels[:128]
    params = ns.init_params(dtype=np.float64)
    dead = X.max(axis=0) == 0  # (D,)
    assert dead.sum() > 50 and dead.reshape(28, 28)[0].all()  # the top row is always blank
    _, g = ns.loss_and_grads(params, X, y)
    assert np.all(g.W[dead] == 0) and np.all(np.any(g.W[~dead] != 0, axis=1))
    assert np.all(_tf_grads(tf, X, y, params)[0][dead] == 0)


# --- 7. gradient descent -----------------------------------------------------------------------

@formula("sgd")
def test_sgd_step_moves_against_the_gradient(tf, batch):
    X, y, params = batch
    _, g = ns.loss_and_grads(params, X, y)
    new = ns.sgd_step(params, g, 0.1)
    np.testing.assert_allclose(new.W, params.W - 0.1 * g.W, rtol=1e-15)
    np.testing.assert_allclose(new.b, params.b - 0.1 * g.b, rtol=1e-15)
    W, b = tf.Variable(params.W), tf.Variable(params.b)
    opt = tf.compat.v1.train.GradientDescentOptimizer(tf.constant(0.1, tf.float64))
    opt.apply_gradients([(tf.constant(g.W), W), (tf.constant(g.b), b)])
    np.testing.assert_allclose(W.numpy(), new.W, rtol=1e-15)
    np.testing.assert_allclose(b.numpy(), new.b, rtol=1e-15)
    # the doc's warning: a bare Python float steps by float32(lr), even for float64 variables
    W2 = tf.Variable(np.zeros(1))
    tf.compat.v1.train.GradientDescentOptimizer(0.1).apply_gradients([(tf.ones(1, tf.float64),
                                                                       W2)])
    assert W2.numpy()[0] == -float(np.float32(0.1)) != -0.1


@formula("descent")
def test_a_small_step_lowers_the_loss_by_lr_times_grad_squared(batch):
    X, y, params = batch
    L0, g = ns.loss_and_grads(params, X, y)
    g2 = float(np.sum(g.W ** 2) + np.sum(g.b ** 2))
    for lr in (1e-2, 1e-3, 1e-4):
        L1, _ = ns.loss_and_grads(ns.sgd_step(params, g, lr), X, y)
        drop = float(L0 - L1)
        assert drop > 0
        assert drop == pytest.approx(lr * g2, rel=20 * lr)  # the O(lr^2) term shrinks with lr


# --- 8. masking ----------------------------------------------------------------------------------

@formula("mask")
def test_a_masked_logit_gets_probability_zero_and_log_probability_minus_inf(tf):
    z = np.array([-np.inf, 0.0, 1.0])
    e = 1 / (1 + math.e)
    assert math.exp(-math.inf) == 0.0 and np.exp(-np.inf) == 0.0
    for p in (ns.softmax(z), tf.nn.softmax(z).numpy()):
        assert p[0] == 0 and p[1:] == pytest.approx([e, 1 - e], rel=1e-15)
    for lp in (ns.log_softmax(z), tf.nn.log_softmax(z).numpy()):
        assert lp[0] == -np.inf and lp[1:] == pytest.approx([math.log(e), math.log(1 - e)])
    with pytest.raises(ns.InputError, match="fully masked"):  # 0 / 0: no answer
        ns.softmax(np.array([-np.inf, -np.inf]))
    assert np.isnan(tf.nn.softmax(np.array([-np.inf, -np.inf])).numpy()).all()  # TF: NaN


@formula("mask-drop")
def test_masking_a_class_is_dropping_it(tf, rng):
    z = rng.normal(size=6) * 3
    keep = np.array([True, False, True, True, False, True])
    zm = np.where(keep, z, -np.inf)
    want = math.log(math.fsum(math.exp(v) for v in z[keep]))
    assert ns.logsumexp(zm) == pytest.approx(want, rel=1e-14)
    assert float(tf.reduce_logsumexp(zm)) == pytest.approx(want, rel=1e-14)
    np.testing.assert_allclose(ns.softmax(zm)[keep], exact_softmax(z[keep]), rtol=1e-14)
    np.testing.assert_allclose(tf.nn.softmax(zm).numpy()[keep], exact_softmax(z[keep]),
                               rtol=1e-14)
    assert ns.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf  # log of an empty sum


@formula("mask-grad")
def test_a_masked_logit_gets_no_gradient_and_a_masked_truth_an_inf_loss(tf, rng):
    Z = rng.normal(size=(4, 5))
    Z[0, 1] = Z[2, 3] = Z[2, 4] = -np.inf
    y = np.array([0, 2, 1, 4])
    N, C = Z.shape
    fin = np.isfinite(Z)
    G = ns.grad_logits(Z, y)
    assert np.all(G[~fin] == 0)
    fd = central_diff(lambda v: float(ns.cross_entropy(np.where(fin, v, -np.inf), y)),
                      np.where(fin, Z, 0.0))
    np.testing.assert_allclose(G[fin], fd[fin], rtol=FD_RTOL, atol=FD_ATOL)
    Zt = tf.constant(Z)
    with tf.GradientTape() as tape:
        tape.watch(Zt)
        L = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=Zt))
    np.testing.assert_allclose(tape.gradient(L, Zt).numpy(), G, rtol=TF64, atol=TF64)
    y[2] = 3  # the true class of row 2 is masked
    assert ns.cross_entropy(Z, y) == np.inf
    assert float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=Z))) == np.inf
    with pytest.raises(ns.InputError, match="labels row 2"):
        ns.grad_logits(Z, y)


# --- 9. Keras's clipping ------------------------------------------------------------------------

def _keras():
    from tf_softmax.keras import keras
    return keras


def _probs(rng, N, C, spread):
    return ns.softmax(rng.normal(size=(N, C)) * spread)  # (N, C) float64


@formula("keras-clip")
def test_keras_losses_on_probabilities_are_the_clipped_formulas_written_out(rng):
    keras = _keras()
    eps = keras.config.epsilon()
    P = _probs(rng, 8, 5, 20.0)  # large spread: entries below eps and above 1 - eps
    y = rng.integers(0, 5, 8)
    Y = np.eye(5)[y]
    assert np.any(P < eps) and np.any(P > 1 - eps)
    Q = np.clip(P, eps, 1 - eps)
    sparse = [-math.log(Q[n, y[n]]) + math.log(math.fsum(Q[n])) for n in range(8)]
    R = np.clip(P / P.sum(axis=1, keepdims=True), eps, 1 - eps)
    cat = [-math.log(R[n, y[n]]) for n in range(8)]
    np.testing.assert_allclose(np.asarray(keras.losses.sparse_categorical_crossentropy(y, P)),
                               sparse, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(np.asarray(keras.losses.categorical_crossentropy(Y, P)), cat,
                               rtol=1e-14, atol=1e-14)
    from numpy_softmax import clipped
    np.testing.assert_allclose(clipped.clipped_sparse_cross_entropy(P, y), sparse, rtol=1e-14,
                               atol=1e-14)
    np.testing.assert_allclose(clipped.clipped_categorical_cross_entropy(P, Y), cat, rtol=1e-14,
                               atol=1e-14)


@formula("keras-clip-bound")
def test_keras_clipping_moves_the_loss_by_at_most_about_C_eps(rng):
    keras = _keras()
    eps = keras.config.epsilon()
    for C in (2, 10, 100):
        P = _probs(rng, 2000, C, 8.0)  # many entries below eps, some true classes above 1 - eps
        y = rng.integers(0, C, 2000)
        ok = P[np.arange(2000), y] >= eps
        exact = -np.log(P[np.arange(2000), y])
        keras_L = np.asarray(keras.losses.sparse_categorical_crossentropy(y, P))
        bound = math.log1p((C - 1) * eps) - math.log1p(-eps)
        err = np.abs(keras_L - exact)[ok]
        assert err.max() <= bound + 1e-14
        assert bound <= C * eps * (1 + 1e-6)  # ~ C eps
        assert err.max() >= 0.1 * bound  # the bound is near what happens, not loose by far


@formula("keras-clip-cap")
def test_a_confident_wrong_prediction_is_capped_near_minus_log_eps_with_no_gradient(tf):
    keras = _keras()
    eps, C = keras.config.epsilon(), 2
    z = np.array([[30.0, 0.0]])
    P = tf.constant(ns.softmax(z))
    with tf.GradientTape() as tape:
        tape.watch(P)
        L = keras.losses.sparse_categorical_crossentropy(np.array([1]), P)
    assert abs(float(ns.cross_entropy(z, [1])) - 30.0) < 1e-12  # exact: -log(1/(1+e^30))
    assert float(L[0]) <= -math.log(eps) + math.log1p((C - 1) * eps) + 1e-12
    assert abs(float(L[0]) - 16.1181) < 1e-4
    assert float(tape.gradient(L, P)[0, 1]) == 0.0  # clipped: P_y gets no gradient
