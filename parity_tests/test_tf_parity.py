"""NumPy vs TensorFlow, op by op and step by step, in float32 and float64.

Each property draws a problem (softmax_parity.check.strategies), computes it with numpy_softmax and
with TensorFlow, and holds the difference to numpy_softmax.tolerances through
parity_tests.checks (shapes and dtypes first, then: finite wherever TF is finite, then the
values). NumPy is looked up as `ns.<name>` at call time, so test_mutations can swap a broken
function in and watch these properties fail.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_softmax as ns
import tf_softmax as tfs
from tf_softmax import tf
from softmax_parity.check.strategies import DTYPES, ORDINARY_SCALES, logit_cases, model_cases

from . import tf_sgd
from . import checks

dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


# --- the ops on logits ------------------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_logsumexp_matches_tf_reduce_logsumexp(dtype, data):
    z = data.draw(logit_cases(dtype)).z
    checks.assert_matches("logsumexp", ns.logsumexp(z, axis=1), tfs.logsumexp(z, axis=1),
                          checks.lse_scale(z), dtype)


@dtypes
@given(data=st.data())
def test_softmax_matches_tf_nn_softmax(dtype, data):
    z = data.draw(logit_cases(dtype)).z
    p_tf = tfs.softmax(z)
    checks.assert_matches("softmax", ns.softmax(z), p_tf, checks.softmax_scale(z), dtype)


@dtypes
@given(data=st.data())
def test_log_softmax_matches_tf_nn_log_softmax(dtype, data):
    z = data.draw(logit_cases(dtype)).z
    lp_tf = tfs.log_softmax(z)
    scale = np.abs(lp_tf.astype(np.float64)) + np.log(z.shape[1])
    checks.assert_matches("log_softmax", ns.log_softmax(z), lp_tf, scale, dtype)


def _ce_scale(loss_tf, C):
    return abs(float(loss_tf)) + np.log(C)


@dtypes
@given(data=st.data())
def test_cross_entropy_with_class_ids_matches_tf_sparse_xent(dtype, data):
    c = data.draw(logit_cases(dtype, labels="ids"))
    L_tf = tfs.cross_entropy(c.z, c.labels)
    checks.assert_matches("cross_entropy", ns.cross_entropy(c.z, c.labels), L_tf,
                          _ce_scale(L_tf, c.z.shape[1]), dtype)


@dtypes
@given(data=st.data())
def test_cross_entropy_with_probability_labels_matches_tf_xent(dtype, data):
    c = data.draw(logit_cases(dtype, labels="probs"))
    L_tf = tfs.cross_entropy(c.z, c.labels)
    checks.assert_matches("cross_entropy", ns.cross_entropy(c.z, c.labels), L_tf,
                          _ce_scale(L_tf, c.z.shape[1]), dtype)


@dtypes
@given(data=st.data())
def test_grad_logits_with_class_ids_matches_tf_autodiff(dtype, data):
    c = data.draw(logit_cases(dtype, labels="ids"))
    checks.assert_matches("grad_logits", ns.grad_logits(c.z, c.labels),
                          tfs.grad_logits(c.z, c.labels), checks.scale_dz(c.z, c.labels), dtype)


@dtypes
@given(data=st.data())
def test_grad_logits_with_probability_labels_matches_tf_autodiff(dtype, data):
    c = data.draw(logit_cases(dtype, labels="probs"))
    checks.assert_matches("grad_logits", ns.grad_logits(c.z, c.labels),
                          tfs.grad_logits(c.z, c.labels), checks.scale_dz(c.z, c.labels), dtype)


@dtypes
@given(data=st.data())
def test_numpy_is_finite_wherever_tf_is_at_extreme_logits(dtype, data):
    """At +-1e2..1e4 (and large offsets) a naive exp overflows; TF's ops stay finite, so must
    NumPy's, for every op at once (the value checks are the properties above)."""
    c = data.draw(logit_cases(dtype, labels="any", scales=(1e2, 1e3, 1e4),
                              forms=("uniform", "dominant", "offset", "ties")))
    pairs = {
        "logsumexp": (ns.logsumexp(c.z, axis=1), tfs.logsumexp(c.z, axis=1)),
        "softmax": (ns.softmax(c.z), tfs.softmax(c.z)),
        "log_softmax": (ns.log_softmax(c.z), tfs.log_softmax(c.z)),
        "cross_entropy": (ns.cross_entropy(c.z, c.labels), tfs.cross_entropy(c.z, c.labels)),
        "grad_logits": (ns.grad_logits(c.z, c.labels), tfs.grad_logits(c.z, c.labels)),
    }
    for op, (a, e) in pairs.items():
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, op
        assert np.all(np.isfinite(a) | ~np.isfinite(e)), f"{op}: NumPy not finite where TF is"
        assert np.all(np.isfinite(e)), f"{op}: TF itself is not finite (the premise)"


# --- the model: logits, loss and gradients wrt W and b -----------------------------------------

@dtypes
@given(data=st.data())
def test_logits_match_tf_matmul(dtype, data):
    c = data.draw(model_cases(dtype))
    p = ns.Params(c.W, c.b)
    checks.assert_matches("logits", ns.logits(p, c.X), tfs.logits(p, c.X),
                          checks.scale_logits(c.X, c.W, c.b), dtype)


def _check_loss_and_grads(c, dtype, tf_fn):
    p = ns.Params(c.W, c.b)
    L_np, g_np = ns.loss_and_grads(p, c.X, c.labels)
    L_tf, g_tf = tf_fn(p, c.X, c.labels)
    L_scale, S = checks.model_scales(c.X, c.W, c.b, c.labels)  # (), (N, C)
    checks.assert_matches("cross_entropy", np.asarray(L_np), np.asarray(L_tf),
                          abs(float(L_tf)) + L_scale, dtype)
    checks.assert_matches("grad_W", g_np.W, g_tf.W, checks.scale_grad_W(c.X, S), dtype,
                          checks.tiny_scale_grad_W(c.X))
    checks.assert_matches("grad_b", g_np.b, g_tf.b, checks.scale_grad_b(S), dtype, 1 + c.X.shape[0])


@dtypes
@given(data=st.data())
def test_loss_and_grads_match_tf_gradient_tape(dtype, data):
    _check_loss_and_grads(data.draw(model_cases(dtype)), dtype, tfs.loss_and_grads)


@dtypes
@given(data=st.data())
def test_loss_and_grads_match_tf_gradients_in_a_v1_graph(dtype, data):
    _check_loss_and_grads(data.draw(model_cases(dtype)), dtype, tfs.graph_loss_and_grads)


# --- SGD: TF's GradientDescentOptimizer, as the seed trained -----------------------------------

def _tf_sgd(c, k: int):
    """k steps of TF's GradientDescentOptimizer (parity_tests.tf_sgd), batch s = rows
    [s*B, (s+1)*B) with B = N // k; returns (W, b) as NumPy arrays."""
    B = c.X.shape[0] // k
    batches = [(c.X[s * B:(s + 1) * B], c.labels[s * B:(s + 1) * B]) for s in range(k)]
    return tf_sgd.sgd(c.W, c.b, batches, c.lr)


def _np_sgd(c, k: int):
    """k NumPy steps on the same batches; also the error scales of W and b along the way
    (and the flush-to-zero allowances, tW and tb)."""
    p = ns.Params(c.W, c.b)
    B = c.X.shape[0] // k
    sW, tW = np.zeros(c.W.shape), np.ones(c.W.shape)
    sb, tb = np.zeros(c.b.shape), np.ones(c.b.shape)
    for s in range(k):
        Xs, ys = c.X[s * B:(s + 1) * B], c.labels[s * B:(s + 1) * B]
        _, S = checks.model_scales(Xs, p.W, p.b, ys)  # (B, C)
        _, g = ns.loss_and_grads(p, Xs, ys)
        p = ns.sgd_step(p, g, c.lr)
        sW += np.abs(p.W) + c.lr * checks.scale_grad_W(Xs, S)  # each step: one rounding of W
        sb += np.abs(p.b) + c.lr * checks.scale_grad_b(S)  # plus lr times dW's difference
        tW += 1 + c.lr * checks.tiny_scale_grad_W(Xs)
        tb += 1 + c.lr * (1 + B)
    return p, sW, sb, tW, tb


@dtypes
@given(data=st.data())
def test_one_sgd_step_matches_tf_gradient_descent_optimizer(dtype, data):
    c = data.draw(model_cases(dtype, steps=1))
    p, sW, sb, tW, tb = _np_sgd(c, 1)
    W_tf, b_tf = _tf_sgd(c, 1)
    checks.assert_matches("sgd_W", p.W, W_tf, sW, dtype, tW)
    checks.assert_matches("sgd_b", p.b, b_tf, sb, dtype, tb)


@dtypes
@given(data=st.data())
def test_k_sgd_steps_from_the_same_start_match_tf(dtype, data):
    """k <= 5 steps with lr <= 1 / (the batch's gradient Lipschitz constant): there a gradient
    step is non-expansive, so the per-step differences add up and do not grow; as they may
    move between entries, they are held to the largest entry's scale (normwise)."""
    c = data.draw(model_cases(dtype, steps=5, max_n=64, max_d=200))
    p, sW, sb, tW, tb = _np_sgd(c, c.k)
    W_tf, b_tf = _tf_sgd(c, c.k)
    checks.assert_matches("sgd_k_steps", np.concatenate([p.W.ravel(), p.b]),
                          np.concatenate([W_tf.ravel(), b_tf]), max(sW.max(), sb.max()), dtype,
                          max(tW.max(), tb.max()))


# --- accuracy and predicted classes -------------------------------------------------------------

@dtypes
@given(data=st.data())
def test_argmax_ties_go_to_the_lowest_index_in_numpy_and_tf(dtype, data):
    """The tie rule both sides' accuracy relies on, on the same logits (ties drawn on purpose):
    tf.math.argmax documents "smallest index" since TF 2.3, as np.argmax does."""
    z = data.draw(logit_cases(dtype, forms=("ties", "equal_rows"))).z
    pred_np = np.argmax(z, axis=1)
    pred_tf = tf.argmax(z, axis=1).numpy()
    first_max = np.array([np.flatnonzero(row == row.max())[0] for row in z])  # by definition
    np.testing.assert_array_equal(pred_np, first_max)
    np.testing.assert_array_equal(pred_tf, first_max)
    checks.record_exact("predictions", dtype, int(np.sum(pred_np != pred_tf)), z.shape[0])


@dtypes
@given(data=st.data())
def test_accuracy_on_the_same_logits_matches_tf_exactly(dtype, data):
    c = data.draw(logit_cases(dtype, labels="any"))
    a_np, a_tf = ns.accuracy(c.z, c.labels), tfs.accuracy(c.z, c.labels)
    assert a_np == a_tf, f"accuracy NumPy {a_np!r} != TF {a_tf!r}"
    checks.record_exact("accuracy", dtype, int(a_np != a_tf), 1)


@dtypes
@given(data=st.data())
def test_predicted_classes_from_each_sides_logits_agree_up_to_rounding(dtype, data):
    """Predictions argmax(X @ W + b), NumPy's logits vs TF's: identical wherever the top two
    logits are further apart than the logits tolerance; where they are closer (a tie up to
    rounding), TF's pick must be one of the classes tied with NumPy's maximum."""
    c = data.draw(model_cases(dtype, labels="ids"))
    p = ns.Params(c.W, c.b)
    Z_np, Z_tf = ns.logits(p, c.X), tfs.logits(p, c.X)  # (N, C) each
    pred_np = np.argmax(Z_np, axis=1)
    pred_tf = tf.argmax(Z_tf, axis=1).numpy()
    scale = checks.scale_logits(c.X, c.W, c.b)  # (N, C)
    slack = 2 * checks.tol("logits", dtype).allowed(dtype, scale)  # (N, C)
    rows = np.arange(Z_np.shape[0])
    top = Z_np.astype(np.float64)[rows, pred_np]  # (N,)
    near = Z_np.astype(np.float64) >= (top[:, None] - slack)  # (N, C) tied up to rounding
    assert np.all(near[rows, pred_tf]), "TF predicts a class clearly below NumPy's maximum"
    clear = near.sum(axis=1) == 1  # rows with one clear winner
    np.testing.assert_array_equal(pred_np[clear], pred_tf[clear])
    checks.record_exact("predictions", dtype, int(np.sum(pred_np[clear] != pred_tf[clear])),
                        int(clear.sum()))
    acc_np = ns.accuracy(Z_np, c.labels)
    acc_tf = tfs.accuracy(Z_tf, c.labels)
    assert abs(acc_np - acc_tf) <= np.sum(~clear) / c.X.shape[0], "accuracies differ"


@dtypes
@given(data=st.data())
def test_seed_prediction_argmax_softmax_agrees_with_argmax_logits(dtype, data):
    """The seed predicted argmax(softmax(Z)); numpy_softmax.accuracy uses argmax(Z) (softmax is
    monotone). They agree except where softmax rounds the top probabilities equal: then TF's
    argmax(softmax) is the lowest index among them, whose logit must be tied up to rounding."""
    z = data.draw(logit_cases(dtype, scales=ORDINARY_SCALES + (1e4,))).z
    p_tf = tfs.softmax(z)
    pred_seed = tf.argmax(p_tf, axis=1).numpy()
    pred_np = np.argmax(z, axis=1)
    rows = np.arange(z.shape[0])
    same_prob = p_tf[rows, pred_seed] == p_tf[rows, pred_np]
    np.testing.assert_array_equal(pred_seed[~same_prob], pred_np[~same_prob])
    z64 = z.astype(np.float64)
    top = z64[rows, pred_np]  # (N,)
    gap = top - z64[rows, pred_seed]  # (N,) >= 0
    eps = np.finfo(dtype).eps
    # exp(z_i - m) distinguishes gaps down to ~eps (relative to 1) and z_i - m carries an ulp
    # of m: a gap below a few of those may vanish in the rounding of p_i = e_i / sum
    assert np.all(gap[same_prob] <= 8 * eps * (np.abs(top[same_prob]) + 1)), \
        "softmax merged two probabilities whose logits are clearly apart"


# --- accuracy: a measured property of TF, not a failure of ours --------------------------------

@dtypes
def test_tf_log_softmax_loses_a_confident_rows_digits_where_numpy_keeps_them(dtype):
    """TF 2.21's tf.nn.log_softmax and sparse xent take log(sum exp(z - m)): for a confident,
    correct row (the others 40 below; 20 in float32) 1 + r rounds to 1 and TF returns 0 for a
    log-probability of about -2 exp(-40). numpy_softmax (log1p) keeps it within a few ulps; the
    two still agree within the parity tolerance, whose scale is |log_softmax| + log C. If TF
    starts keeping the digits this fails: docs/parity.md's accuracy table must then change."""
    pytest.importorskip("mpmath")
    from . import exact
    gap = 40.0 if dtype == np.float64 else 20.0
    z = np.array([[0.0, -gap, -gap]], dtype=dtype)
    want = exact.log_softmax(z)
    ours, theirs = ns.log_softmax(z), tfs.log_softmax(z)
    assert exact.ulps(ours, want, dtype)[0, 0] <= 8
    assert theirs[0, 0] == 0 and float(want[0, 0]) < 0, "TF now keeps a confident row's digits"
    assert tfs.cross_entropy(z, np.array([0])) == 0 < ns.cross_entropy(z, np.array([0]))
    assert exact.ulps(theirs, want, dtype)[0, 0] > 1 / np.finfo(dtype).eps / 2
    checks.assert_matches("log_softmax", ours, theirs,
                          np.abs(theirs.astype(np.float64)) + np.log(3), dtype)
