"""Determinism for the TF backends: a run stopped between two steps (should_stop, or Ctrl-C via
`train --checkpoint-dir`) and resumed ends within the compare tolerances of one that never
stopped (measured: bit-identical, since TF's CPU kernels are deterministic here and the state
is just W and b)."""
import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax.tolerances import COMPARE
from softmax_parity import backends, checkpoint


def small(rng):
    X = rng.random((640, 784)).astype(np.float32)
    y = rng.integers(0, 10, 640)
    return X, y


class StopAfter:
    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self):
        self.calls += 1
        return self.calls == self.n


@pytest.mark.parametrize("backend", ["tf-graph", "tf-function", "keras"])
def test_tf_stop_inside_an_epoch_and_resume_matches_an_uninterrupted_run(backend, rng):
    X, y = small(rng)
    cfg = ns.TrainConfig(epochs=3, batch_size=64, lr=0.1)
    train = backends.get(backend)
    whole = train(X, y, cfg, X_val=X[:100], y_val=y[:100])
    part = train(X, y, cfg, X_val=X[:100], y_val=y[:100], should_stop=StopAfter(13))
    # 640 // 64 = 10 steps an epoch: the 13th step is epoch 1's step 2, so it stops before step 3
    assert (part.stopped_at.epoch, part.stopped_at.step) == (1, 3)
    assert len(part.history) == 1
    rest = train(X, y, cfg, params=part.params, X_val=X[:100], y_val=y[:100],
                 history=part.history, resume=part.stopped_at)
    assert rest.stopped_at is None and len(rest.history) == 3
    tol = COMPARE["float32"]
    scale = float(np.max(np.abs(whole.params.W)))
    assert float(np.max(np.abs(rest.params.W - whole.params.W))) <= tol.W_rel * scale
    for a, b in zip(rest.history, whole.history):
        assert abs(a.loss - b.loss) <= tol.loss_rel * abs(b.loss)
        assert a.val_accuracy == b.val_accuracy


@pytest.mark.parametrize("backend", ["tf-function", "keras"])
def test_tf_cli_resumes_from_its_checkpoints(backend, cli, tmp_path, data_dir, history):
    ck, out, whole = tmp_path / "ck", tmp_path / "out", tmp_path / "whole"
    common = ("train", "--data-dir", data_dir, "--backend", backend, "--quiet")
    assert cli(*common, "--epochs", 1, "--checkpoint-dir", ck).code == 0
    assert [p.epoch for p, _ in checkpoint.listing(ck)] == [1]
    assert cli(*common, "--epochs", 2, "--checkpoint-dir", ck, "--resume", "--out", out).code == 0
    assert cli(*common, "--epochs", 2, "--out", whole).code == 0
    h_out, h_whole = history(out), history(whole)
    tol = COMPARE["float32"]
    assert [e for e, _, _ in h_out] == [0, 1]
    for (_, la, va), (_, lb, vb) in zip(h_out, h_whole):
        assert abs(la - lb) <= tol.loss_rel * abs(lb) and va == vb
    with np.load(out / "params.npz") as a, np.load(whole / "params.npz") as b:
        assert np.max(np.abs(a["W"] - b["W"])) <= tol.W_rel * np.max(np.abs(b["W"]))
