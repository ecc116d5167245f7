"""Issue 7 through the command line: `train --checkpoint-dir/--resume`, Ctrl-C (a real SIGINT to
a real process), `--lr 1e4`, and the mistakes a user can make with checkpoints (exit 2).

The data is a small MNIST-shaped IDX folder written here (passed with --data-dir), so no test
needs the network or the real MNIST."""
import json
import os
import re
import shlex
import signal
import subprocess
import sys

import numpy as np
import pytest

from numpy_softmax.data import IDX_NAMES
from numpy_softmax.loop import Position
from softmax_parity import checkpoint
from softmax_parity.cli import main

N_TRAIN = 5000 + 6400  # 5,000 go to validation; 6,400 / 128 = 50 steps per epoch


def idx_bytes(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def write_idx_dir(folder, seed):
    rng = np.random.default_rng(seed)
    arrs = {"x_train": rng.integers(0, 256, (N_TRAIN, 28, 28)),
            "y_train": rng.integers(0, 10, N_TRAIN),
            "x_test": rng.integers(0, 256, (200, 28, 28)),
            "y_test": rng.integers(0, 10, 200)}
    os.makedirs(folder, exist_ok=True)
    for key, stem in IDX_NAMES.items():
        with open(os.path.join(folder, stem), "wb") as f:
            f.write(idx_bytes(arrs[key]))
    return str(folder)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_idx_dir(tmp_path_factory.mktemp("idx"), seed=1)


def cli(*args):
    return main(["train", *map(str, args)])


def params_bits(out) -> bytes:
    with np.load(os.path.join(out, "params.npz"), allow_pickle=False) as z:
        return z["W"].tobytes() + z["b"].tobytes()


def history(out):
    with open(os.path.join(out, "run.json")) as f:
        return [(h["epoch"], h["loss"], h["val_accuracy"]) for h in json.load(f)["history"]]


def test_sigint_finishes_the_step_saves_and_exits_130_and_the_printed_resume_matches(
        tmp_path, data_dir):
    ck, out = tmp_path / "ck", tmp_path / "out"
    cmd = [sys.executable, "-m", "softmax_parity", "train", "--data-dir", data_dir,
           "--checkpoint-dir", str(ck), "--out", str(out), "--epochs", "6", "--lr", "0.1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:  # the first epoch line: training is under way
            if line.startswith("Epoch 0"):
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    m = re.search(r"interrupted at epoch (\d+), step (\d+); checkpoint saved in (\S+)\. "
                  r"Resume with:\n  (.+)\n", err)
    assert m, err
    epoch, step = int(m.group(1)), int(m.group(2))
    assert 1 <= epoch < 6 and 0 <= step < 50
    got = checkpoint.latest(ck)
    assert (got.position.epoch, got.position.step) == (epoch, step)
    assert "Test accuracy" not in rest and not (out / "run.json").exists()

    resume = shlex.split(m.group(4))  # run exactly what it told us to run
    assert resume[:2] == ["softmax-parity", "train"] and "--resume" in resume
    done = subprocess.run([sys.executable, "-m", "softmax_parity", *resume[1:]],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resuming from {ck}" in done.stdout

    whole = tmp_path / "whole"
    assert cli("--data-dir", data_dir, "--epochs", 6, "--lr", 0.1, "--out", whole,
               "--quiet") == 0
    assert params_bits(out) == params_bits(whole)  # bit for bit
    assert history(out) == history(whole)


def test_lr_1e4_exits_1_naming_epoch_and_step_and_saves_no_nan(tmp_path, data_dir, capsys):
    ck, out = tmp_path / "ck", tmp_path / "out"
    rc = cli("--data-dir", data_dir, "--lr", "1e4", "--checkpoint-dir", ck, "--out", out,
             "--quiet")
    err = capsys.readouterr().err
    assert rc == 1
    assert re.search(r"diverged at epoch 0, step \d+: the loss reached [0-9.e+]+, over the "
                     r"limit .*; try a smaller learning rate than 10000", err), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (out / "run.json").exists() and not (out / "params.npz").exists()
    assert checkpoint.listing(ck) == []


def test_checkpoints_every_epoch_then_resume_to_more_epochs_equals_one_long_run(tmp_path,
                                                                              data_dir):
    ck, out, whole = tmp_path / "ck", tmp_path / "out", tmp_path / "whole"
    assert cli("--data-dir", data_dir, "--epochs", 2, "--checkpoint-dir", ck, "--quiet") == 0
    assert [p.epoch for p, _ in checkpoint.listing(ck)] == [2, 1]
    assert cli("--data-dir", data_dir, "--epochs", 4, "--checkpoint-dir", ck, "--resume",
               "--out", out, "--quiet") == 0
    assert [p.epoch for p, _ in checkpoint.listing(ck)] == [4, 3]
    assert cli("--data-dir", data_dir, "--epochs", 4, "--out", whole, "--quiet") == 0
    assert params_bits(out) == params_bits(whole) and history(out) == history(whole)


@pytest.fixture(scope="module")
def one_epoch_ckpt(tmp_path_factory, data_dir):
    ck = tmp_path_factory.mktemp("ck1")
    assert cli("--data-dir", data_dir, "--epochs", 1, "--checkpoint-dir", ck, "--quiet") == 0
    return ck


@pytest.mark.parametrize("extra, needle", [
    ([], "already holds checkpoints (newest ckpt-00001-000000.npz); pass --resume"),
    (["--resume", "--lr", "0.5"], "--lr 0.5 (checkpoint: 0.01) disagrees with the checkpoint"),
    (["--resume", "--seed", "3"], "--seed 3 (checkpoint: 0) disagrees"),
], ids=["fresh-run-into-used-folder", "other-lr", "other-seed"])
def test_checkpoint_mistakes_are_one_line_and_exit_2(one_epoch_ckpt, data_dir, capsys, extra,
                                                     needle):
    rc = cli("--data-dir", data_dir, "--checkpoint-dir", one_epoch_ckpt, *extra)
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and err.count("\n") == 1


def test_resume_on_other_data_is_refused(one_epoch_ckpt, tmp_path, capsys):
    other = write_idx_dir(tmp_path / "other", seed=2)
    assert cli("--data-dir", other, "--checkpoint-dir", one_epoch_ckpt, "--resume") == 2
    assert "trained on other data" in capsys.readouterr().err


def test_a_checkpoint_dir_that_is_a_file_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert cli("--checkpoint-dir", tmp_path / "f", "--data-dir", tmp_path / "nope") == 2
    assert f"--checkpoint-dir {tmp_path / 'f'}: exists and is not a folder" in \
        capsys.readouterr().err


def test_resume_needs_a_checkpoint_dir(capsys):
    assert cli("--resume") == 2
    assert "--resume needs --checkpoint-dir" in capsys.readouterr().err


def test_resume_into_an_empty_folder_starts_from_the_beginning(tmp_path, data_dir, capsys):
    assert cli("--data-dir", data_dir, "--epochs", 1, "--checkpoint-dir", tmp_path,
               "--resume", "--quiet") == 0
    assert "no checkpoint in" in capsys.readouterr().err
    assert [p.epoch for p, _ in checkpoint.listing(tmp_path)] == [1]


def test_a_checkpoint_stopped_inside_an_epoch_needs_epochs_to_finish_it(tmp_path, data_dir,
                                                                      one_epoch_ckpt, capsys):
    ck = checkpoint.latest(one_epoch_ckpt)
    mid = checkpoint.Checkpoint(ck.params, Position(1, 10, 12.5, 0.1), ck.config,
                                ck.history, "numpy", ck.data_sha256)
    checkpoint.save(tmp_path, mid)
    assert cli("--data-dir", data_dir, "--checkpoint-dir", tmp_path, "--resume",
               "--epochs", 1) == 2
    assert "--epochs must be at least 2" in capsys.readouterr().err
