"""`softmax-parity compare` and `train --logdir` as a user runs them: output, exit status,
files. In a real process where the process is the point: TF's C++ start-up notes go to file
descriptor 2, and whether TensorFlow gets imported shows only in a fresh interpreter."""
import json

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from numpy_softmax.tolerances import COMPARE

pytestmark = pytest.mark.tf


def _tags_and_steps(run_dir):
    acc = EventAccumulator(str(run_dir))
    acc.Reload()
    return {t: [e.step for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


def test_compare_prints_the_table_and_a_pass_verdict(cli_process, tmp_path):
    r = cli_process("compare", "--tf", "tf-function", "--epochs", "2",
                    "--logdir", str(tmp_path / "tb"))
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["epoch"])
    assert "loss tf-function" in lines[head] and "max|dW|" in lines[head]
    rows = [line.split() for line in lines[head + 1:head + 3]]
    assert [row[0] for row in rows] == ["0", "1"] and all(len(row) == 10 for row in rows)
    loss_np, loss_tf = float(rows[0][1]), float(rows[0][2])
    assert 1.25 <= loss_np <= 1.33
    assert abs(loss_np - loss_tf) <= COMPARE["float32"].loss_rel * loss_np
    assert any(line.startswith("test accuracy (all 10000 test images): numpy ")
               for line in lines)
    assert lines[-1].startswith("PASS: numpy and tf-function agree")
    assert r.err.strip() == ""  # TF's start-up notes are kept quiet
    for name in ("numpy", "tf-function"):  # one run folder per backend, epochs as steps
        tags = _tags_and_steps(tmp_path / "tb" / name)
        assert tags["train/loss"] == [0, 1] and tags["validation/accuracy"] == [0, 1]
    assert "divergence/W_max_rel" in _tags_and_steps(tmp_path / "tb" / "tf-function")


def test_compare_tf_keras_passes_and_names_keras(cli, tmp_path):
    r = cli("compare", "--tf", "keras", "--epochs", "1", "--logdir", str(tmp_path / "tb"))
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert any("loss keras" in line for line in lines)
    assert lines[-1].startswith("PASS: numpy and keras agree within the float32 tolerances")
    tags = _tags_and_steps(tmp_path / "tb" / "keras")
    assert tags["train/loss"] == [0] and "divergence/W_max_rel" in tags


def test_compare_exits_1_when_a_tolerance_breaks_and_still_writes_the_record(cli, tmp_path):
    out = tmp_path / "run"
    # W_rel = 0 demands bit-identical weights; different GEMM kernels never give that
    r = cli("compare", "--epochs", "1", "--tol", "W_rel=0", "--out", str(out))
    assert r.code == 1, r.err
    assert r.out.splitlines()[-2].startswith("FAIL: numpy and tf-graph differ")
    assert "W_rel" in r.out.splitlines()[-2]
    assert any(line.split()[:1] == ["W_rel"] and line.endswith("BROKEN")
               for line in r.out.splitlines())
    rec = json.loads((out / "run.json").read_text())
    assert rec["kind"] == "compare" and rec["backends"] == ["numpy", "tf-graph"]
    assert rec["verdict"]["passed"] is False
    assert {c["name"]: c["ok"] for c in rec["verdict"]["checks"]}["W_rel"] is False
    assert rec["tolerances"]["W_rel"]["limit"] == 0.0 and rec["tolerances"]["W_rel"]["reason"]
    assert [h["epoch"] for h in rec["history"]["numpy"]] == [0]
    assert [h["epoch"] for h in rec["history"]["tf-graph"]] == [0]
    assert rec["divergence"][0]["epoch"] == 0 and rec["divergence"][0]["W_max_abs"] > 0
    assert rec["final"]["test_images"] == 10000
    with np.load(out / "params-numpy.npz") as a, np.load(out / "params-tf-graph.npz") as b:
        assert a["W"].shape == b["W"].shape == (784, 10)
        assert np.abs(a["W"] - b["W"]).max() == pytest.approx(rec["divergence"][0]["W_max_abs"])


@pytest.mark.parametrize("args,needle", [
    (["compare", "--tol", "bogus=1"], "unknown tolerance"),
    (["compare", "--tol", "W_rel"], "NAME=VALUE"),
    (["compare", "--tol", "W_rel=abc"], "needs a number"),
    (["compare", "--epochs", "-1"], "--epochs"),
    (["compare", "--blas-threads", "-2"], "--blas-threads"),
    (["compare", "--data-dir", "/definitely/not/here"], "no such file"),
])
def test_compare_bad_input_is_one_line_on_stderr_and_exit_2(cli, args, needle):
    r = cli(*args)
    assert r.code == 2
    err = r.err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in r.err


def test_train_numpy_logdir_writes_events_without_importing_tensorflow(python_process,
                                                                      tmp_path):
    code = ("import sys; from softmax_parity.cli import main; "
            f"rc = main(['train', '--epochs', '2', '--quiet', '--logdir', {str(tmp_path)!r}]); "
            "print(rc, 'tensorflow' in sys.modules)")
    r = python_process("-c", code)
    assert r.code == 0, r.err
    assert r.out.splitlines()[-1] == "0 False"
    tags = _tags_and_steps(tmp_path / "numpy")
    assert set(tags) == {"train/loss", "validation/accuracy", "time/epoch_seconds"}
    assert all(steps == [0, 1] for steps in tags.values())
