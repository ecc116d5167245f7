"""The fast mode of numpy_softmax.FastStepper (train()'s default) against the reference stepper.

The fast mode rounds differently from the reference (the bias inside the GEMMs, lr / B folded
into the softmax, row sums by a matrix-vector product, unscaled pixels, padded GEMM columns;
FastStepper's docstring), so it is held to what `compare` allows between
NumPy and TF, numpy_softmax.tolerances.COMPARE: each epoch's loss (loss_rel), W after the last
epoch relative to max |W| (W_rel, and W_abs where set), test accuracy and predictions. Each
side runs with the BLAS threads train() gives it.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_softmax as ns
from numpy_softmax import FastStepper, ReferenceStepper, loop
from numpy_softmax.data import ScaledRows
from numpy_softmax.threads import blas_threads
from numpy_softmax.tolerances import COMPARE


@pytest.fixture(scope="module")
def mnist():
    return ns.load_mnist(quiet=True)  # the project's loader: cache, else download (make data)


def run(cls, X, y, params, cfg):
    """Epoch records and the stepper `cls` trained from params, as train() runs it."""
    stepper = cls(X, y, cfg, params)
    with blas_threads(stepper.threads):
        return loop.run(stepper).history, stepper


def assert_within_compare(dtype, fast, ref, logit_scale=0.0):
    """fast and ref: (records, stepper). Every epoch's loss and the final W, b within
    COMPARE[dtype]. logit_scale: the largest |logit| of a problem whose logits are far larger
    than its loss (a bias of 200 on every class): a loss computed from such logits carries
    an error of a few ulps of them in any implementation, so each loss may also differ by
    8 eps logit_scale (0, as on MNIST: the compare tolerance alone)."""
    tol = COMPARE[dtype]
    (rf, sf), (rr, sr) = fast, ref
    slack = 8 * np.finfo(dtype).eps * logit_scale
    loss_rel = max((abs(a.loss - b.loss) - slack) / abs(b.loss) for a, b in zip(rf, rr))
    pf, pr = sf.params(), sr.params()
    assert pf.W.shape == pr.W.shape and pf.W.dtype == pr.W.dtype and pf.b.dtype == pr.b.dtype
    scale = max(float(np.abs(pr.W).max()), float(np.abs(pr.b).max()))
    dW = float(np.abs(pf.W.astype(np.float64) - pr.W).max())
    db = float(np.abs(pf.b.astype(np.float64) - pr.b).max())
    assert loss_rel <= tol.loss_rel, f"loss differs by {loss_rel:.2e} relative"
    assert max(dW, db) <= tol.W_rel * scale, f"W, b differ by {max(dW, db) / scale:.2e}"
    if tol.W_abs is not None:
        assert dW <= tol.W_abs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_fast_mode_trains_mnist_as_the_reference_within_the_compare_tolerances(mnist,
                                                                                   dtype):
    """The seed's protocol for as many epochs as `compare` runs (30), from the uint8 pixels as
    `train --backend numpy` reads them: losses, weights and test predictions as close to the
    reference's as TF's are allowed to be."""
    cfg = ns.TrainConfig(epochs=30, dtype=dtype)
    X, y, p, _, _ = loop.prepare(mnist.train.images, mnist.train.labels, cfg)
    pixels = ScaledRows(mnist.train.pixels, 1 / 255, dtype)
    fast = run(FastStepper, pixels, y, p, cfg)
    ref = run(ReferenceStepper, X, y, p, cfg)
    assert_within_compare(dtype, fast, ref)
    X_test = mnist.test.images.astype(dtype)
    pred = {k: np.argmax(s.logits(X_test), axis=1) for k, s in (("f", fast[1]), ("r", ref[1]))}
    tol = COMPARE[dtype]
    assert int(np.sum(pred["f"] != pred["r"])) <= tol.test_predictions
    acc = {k: float(np.mean(v == mnist.test.labels)) for k, v in pred.items()}
    assert abs(acc["f"] - acc["r"]) <= tol.test_accuracy


@given(seed=st.integers(0, 2**16), n=st.integers(1, 90), d=st.integers(1, 12),
       c=st.integers(2, 12), batch=st.integers(1, 40), drop_last=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]), lr=st.sampled_from([0.01, 0.1]),
       stddev=st.sampled_from([0.1, 1.0, 10.0]), bias=st.sampled_from([0.0, -200.0, 200.0]),
       pixels=st.booleans())
def test_the_fast_mode_matches_the_reference_on_any_small_problem(seed, n, d, c, batch,
                                                                 drop_last, dtype, lr, stddev,
                                                                 bias, pixels):
    """Any shape, batch size (a short last batch when drop_last=False), dtype, either storage,
    and logits from tame to extreme: a bias of +200 on every class overflows exp unshifted
    (e^200), and one of -200 underflows every row's sum of exp to 0, so the fast mode must
    shift by the row max as the reference does; stddev 10 over 12 features gives losses in
    the tens. Two epochs."""
    n = max(n, batch) if drop_last else n
    rng = np.random.default_rng(seed)
    pix = rng.integers(0, 256, size=(n, d), dtype=np.uint8)  # (n, d)
    X = (pix.astype(np.float32) * np.float32(1 / 255)).astype(dtype)  # as the loader
    y = rng.integers(0, c, size=n)  # (n,)
    p = ns.init_params(d, c, seed=seed, stddev=stddev, dtype=dtype)
    p = ns.Params(p.W, (p.b + bias).astype(dtype))
    cfg = ns.TrainConfig(batch_size=batch, lr=lr, seed=seed, dtype=dtype, drop_last=drop_last,
                         epochs=2)
    Xf = ScaledRows(pix, 1 / 255, dtype) if pixels else X
    fast, ref = run(FastStepper, Xf, y, p, cfg), run(ReferenceStepper, X, y, p, cfg)
    scale = max(float(np.abs(ns.logits(q, X)).max()) for q in (p, ref[1].params()))
    assert_within_compare(dtype, fast, ref, logit_scale=scale)
