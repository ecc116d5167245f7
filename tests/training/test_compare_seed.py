"""The seed's full protocol (30 epochs, float32, all of MNIST) run once, in lockstep, for NumPy
and both TF backends; the tests below read that one run (about a minute on 2 cores).

What it must show: every backend reproduces the seed's figures; each TF backend stays within the
compare tolerances of NumPy; the TensorBoard event files hold the same tags and steps for every
backend (read back with tensorboard's own reader), and tf-graph's graph carries the name scopes.
"""
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from numpy_softmax import TrainConfig
from numpy_softmax.threads import blas_threads
from numpy_softmax.tolerances import COMPARE
from softmax_parity import compare, tensorboard

NAMES = ("numpy", "tf-graph", "tf-function")
pytestmark = [pytest.mark.tf, pytest.mark.slow]


@pytest.fixture(scope="module")
def seed_run(mnist, tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tb")
    with blas_threads(1):  # as `compare` runs it (see --blas-threads)
        result = compare.lockstep(mnist, TrainConfig(), ("tf-graph", "tf-function"),
                                  logdir=str(logdir))
    return result, logdir


@pytest.mark.parametrize("name", NAMES)
def test_every_backend_reproduces_the_seed_figures(seed_run, name):
    result, _ = seed_run
    h = result.history[name]
    assert [r.epoch for r in h] == list(range(30))
    assert 1.25 <= h[0].loss <= 1.33    # the seed printed 1.29025
    assert 0.32 <= h[29].loss <= 0.35   # the seed printed 0.33514
    assert 0.905 <= result.test_accuracy[name] <= 0.920  # the seed printed 0.91180
    assert all(a.loss > b.loss for a, b in zip(h, h[1:]))  # plain SGD on a convex loss


@pytest.mark.parametrize("tf_name", ["tf-graph", "tf-function"])
def test_tf_backend_stays_within_the_float32_compare_tolerances(seed_run, tf_name):
    result, _ = seed_run
    checks = {c.name: c for c in compare.verdict(result, tf_name, COMPARE["float32"])}
    assert set(checks) == {"loss_rel", "W_rel", "test_accuracy", "test_predictions"}
    assert all(c.ok for c in checks.values()), checks
    # the figures, written out rather than read from numpy_softmax.tolerances
    assert all(d.loss_rel <= 1e-5 for d in result.divergence[tf_name])
    p_np, p_tf = result.params["numpy"], result.params[tf_name]
    assert np.abs(p_np.W - p_tf.W).max() <= 1e-5 * np.abs(p_np.W).max()
    assert abs(result.test_accuracy["numpy"] - result.test_accuracy[tf_name]) <= 0.0002 + 1e-12
    assert result.differing(tf_name) <= 2


def test_divergence_is_recorded_for_every_epoch(seed_run):
    result, _ = seed_run
    for tf_name in ("tf-graph", "tf-function"):
        divs = result.divergence[tf_name]
        assert [d.epoch for d in divs] == list(range(30))
        last = divs[-1]
        p_np, p_tf = result.params["numpy"], result.params[tf_name]
        assert last.W_max_abs == float(np.abs(p_np.W.astype(np.float64) - p_tf.W).max())
        assert 0 < last.W_max_abs  # different GEMM kernels: not bit-identical after 12,870 steps


def _scalars(run_dir):
    acc = EventAccumulator(str(run_dir))
    acc.Reload()
    return acc, {tag: [(e.step, e.value) for e in acc.Scalars(tag)]
                 for tag in acc.Tags()["scalars"]}


@pytest.mark.parametrize("name", NAMES)
def test_event_files_hold_the_same_tags_and_steps_for_every_backend(seed_run, name):
    result, logdir = seed_run
    _, scalars = _scalars(logdir / name)
    common = {tensorboard.LOSS, tensorboard.VAL_ACCURACY, tensorboard.EPOCH_SECONDS}
    div = {tensorboard.DIV_LOSS_REL, tensorboard.DIV_W_ABS, tensorboard.DIV_W_REL}
    assert set(scalars) == (common if name == "numpy" else common | div)
    for tag, points in scalars.items():
        assert [s for s, _ in points] == list(range(30)), tag
    losses = [v for _, v in scalars[tensorboard.LOSS]]
    expected = [r.loss for r in result.history[name]]
    np.testing.assert_allclose(losses, expected, rtol=1e-7)  # simple_value is a float32
    val = [v for _, v in scalars[tensorboard.VAL_ACCURACY]]
    np.testing.assert_allclose(val, [r.val_accuracy for r in result.history[name]], rtol=1e-7)


def test_tf_graph_run_holds_its_graph_with_the_seed_name_scopes(seed_run):
    _, logdir = seed_run
    acc, _ = _scalars(logdir / "tf-graph")
    assert acc.Tags()["graph"]
    nodes = {n.name for n in acc.Graph().node}
    for name in ("data/X", "data/Y", "model/W", "model/b", "model/logits",
                 "loss/mean_cross_entropy", "evaluation/accuracy", "evaluation/prediction"):
        assert name in nodes, name
    assert any(n.startswith("optimizer/GradientDescent") for n in nodes)
    assert any(n.startswith("optimizer/gradients/") for n in nodes)  # tf.gradients, in scope
    assert {n.split("/")[0] for n in nodes} == {"data", "model", "loss", "optimizer",
                                                "evaluation"}  # every op in a scope
    for other in ("numpy", "tf-function"):
        assert not _scalars(logdir / other)[0].Tags()["graph"]
