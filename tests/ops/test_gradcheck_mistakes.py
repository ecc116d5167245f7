"""gradcheck on a real MNIST batch, float64: the hand-derived gradients pass with max relative
error <= 1e-7, and each deliberate mistake (softmax_parity.gradcheck.MISTAKES) fails."""
import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax.tolerances import GRADCHECK_BAR, MISTAKE_MIN_ERROR
from softmax_parity.gradcheck import MISTAKES, SHIFT, reference_loss


# thousands of small GEMMs: on 2 busy cores, two BLAS threads wait on each other
pytestmark = pytest.mark.usefixtures("one_blas_thread")


@pytest.fixture(scope="module")
def batch(mnist):
    X = mnist.train.images[:128].astype(np.float64)  # (128, 784)
    y = mnist.train.labels[:128]
    return ns.init_params(dtype=np.float64, seed=0), X, y


def check(loss_and_grads, params, X, y, loss=None, **kw):
    """Reports for dW (100 sampled entries + 5 directions) and db (all entries)."""
    if loss is None:
        def loss(p, X_, y_):
            return loss_and_grads(p, X_, y_)[0]
    W, b = params
    _, g = loss_and_grads(params, X, y)
    opts = dict(threshold=GRADCHECK_BAR["threshold"], n_directions=5, **kw)
    return (ns.gradcheck(lambda W_: loss(ns.Params(W_, b), X, y), W, g.W, name="W",
                         max_full=0, n_samples=100, **opts),
            ns.gradcheck(lambda b_: loss(ns.Params(W, b_), X, y), b, g.b, name="b", **opts))


def test_hand_derived_gradients_pass_at_1e_7_on_mnist(batch):
    p, X, y = batch
    rW, rb = check(ns.loss_and_grads, p, X, y, loss=reference_loss)
    assert rW.passed and rb.passed, f"{rW}\n{rb}"
    bar = GRADCHECK_BAR["threshold"]
    assert rW.max_rel_error <= bar and rb.max_rel_error <= bar


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_deliberate_mistake_is_flagged(batch, name):
    p, X, y = batch
    if name == "softmax without the max shift":
        p = ns.Params(p.W, p.b + SHIFT)  # the same loss (shift invariance); exp overflows
    rW, rb = check(MISTAKES[name], p, X, y)
    assert not (rW.passed and rb.passed), f"{name} was not flagged:\n{rW}\n{rb}"
    assert max(rW.max_rel_error, rb.max_rel_error) > MISTAKE_MIN_ERROR or rW.problem or rb.problem


def test_the_naive_softmax_is_right_at_ordinary_logits_and_nan_at_large_ones(batch):
    """Why the naive softmax needs the shifted point to be flagged: on MNIST's logits (|z| < 1
    at the init) it is correct; raise every logit by 1000 and exp overflows."""
    p, X, y = batch
    naive = MISTAKES["softmax without the max shift"]
    rW, rb = check(naive, p, X, y)
    assert rW.passed and rb.passed
    shifted = ns.Params(p.W, p.b + SHIFT)
    loss, g = naive(shifted, X, y)
    assert np.isnan(loss) and np.isnan(g.W).any()
    ref_loss, ref_g = ns.loss_and_grads(shifted, X, y)
    assert ref_loss == pytest.approx(ns.loss_and_grads(p, X, y)[0], rel=1e-12)
    assert np.all(np.isfinite(ref_g.W))


def test_a_plainly_transposed_W_gradient_fails_on_its_shape(batch):
    p, X, y = batch
    _, g = ns.loss_and_grads(p, X, y)
    r = ns.gradcheck(lambda W: reference_loss(ns.Params(W, p.b), X, y), p.W, g.W.T)
    assert not r.passed and "shape" in r.problem
