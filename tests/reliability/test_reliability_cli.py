"""Issue 7 through the command line: `train --checkpoint-dir/--resume`, Ctrl-C (a real SIGINT to
a real process), `--lr 1e4`, and the mistakes a user can make with checkpoints (exit 2).

The data is a small MNIST-shaped IDX folder (tests/reliability/conftest.py, passed with
--data-dir), so no test needs the network or the real MNIST."""
import re
import shlex
import signal

import pytest

from numpy_softmax.loop import Position
from softmax_parity import checkpoint


def test_sigint_finishes_the_step_saves_and_exits_130_and_the_printed_resume_matches(
        cli, cli_process, tmp_path, data_dir, params_bits, history):
    ck, out = tmp_path / "ck", tmp_path / "out"
    proc = cli_process.start("train", "--data-dir", data_dir, "--checkpoint-dir", ck,
                             "--out", out, "--epochs", "6", "--lr", "0.1")
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
    done = cli_process(*resume[1:])
    assert done.code == 0, done.err
    assert f"resuming from {ck}" in done.out

    whole = tmp_path / "whole"
    assert cli("train", "--data-dir", data_dir, "--epochs", 6, "--lr", 0.1, "--out", whole,
               "--quiet").code == 0
    assert params_bits(out) == params_bits(whole)  # bit for bit
    assert history(out) == history(whole)


def test_lr_1e4_exits_1_naming_epoch_and_step_and_saves_no_nan(cli, tmp_path, data_dir):
    ck, out = tmp_path / "ck", tmp_path / "out"
    rc, _, err = cli("train", "--data-dir", data_dir, "--lr", "1e4", "--checkpoint-dir", ck,
                     "--out", out, "--quiet")
    assert rc == 1
    assert re.search(r"diverged at epoch 0, step \d+: the loss reached [0-9.e+]+, over the "
                     r"limit .*; try a smaller learning rate than 10000", err), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (out / "run.json").exists() and not (out / "params.npz").exists()
    assert checkpoint.listing(ck) == []


def test_checkpoints_every_epoch_then_resume_to_more_epochs_equals_one_long_run(
        cli, tmp_path, data_dir, params_bits, history):
    ck, out, whole = tmp_path / "ck", tmp_path / "out", tmp_path / "whole"
    assert cli("train", "--data-dir", data_dir, "--epochs", 2, "--checkpoint-dir", ck,
               "--quiet").code == 0
    assert [p.epoch for p, _ in checkpoint.listing(ck)] == [2, 1]
    assert cli("train", "--data-dir", data_dir, "--epochs", 4, "--checkpoint-dir", ck,
               "--resume", "--out", out, "--quiet").code == 0
    assert [p.epoch for p, _ in checkpoint.listing(ck)] == [4, 3]
    assert cli("train", "--data-dir", data_dir, "--epochs", 4, "--out", whole,
               "--quiet").code == 0
    assert params_bits(out) == params_bits(whole) and history(out) == history(whole)


@pytest.fixture(scope="module")
def one_epoch_ckpt(tmp_path_factory, data_dir):
    """A folder holding the checkpoints of one epoch (made through softmax_parity.cli.main:
    a module-scoped fixture cannot use the function-scoped `cli`; its output is not read)."""
    from softmax_parity.cli import main
    ck = tmp_path_factory.mktemp("ck1")
    assert main(["train", "--data-dir", data_dir, "--epochs", "1", "--checkpoint-dir", str(ck),
                 "--quiet"]) == 0
    return ck


@pytest.mark.parametrize("extra, needle", [
    ([], "already holds checkpoints (newest ckpt-00001-000000.npz); pass --resume"),
    (["--resume", "--lr", "0.5"], "--lr 0.5 (checkpoint: 0.01) disagrees with the checkpoint"),
    (["--resume", "--seed", "3"], "--seed 3 (checkpoint: 0) disagrees"),
], ids=["fresh-run-into-used-folder", "other-lr", "other-seed"])
def test_checkpoint_mistakes_are_one_line_and_exit_2(cli, one_epoch_ckpt, data_dir, extra,
                                                     needle):
    rc, _, err = cli("train", "--data-dir", data_dir, "--checkpoint-dir", one_epoch_ckpt, *extra)
    assert rc == 2 and needle in err and err.count("\n") == 1


def test_resume_on_other_data_is_refused(cli, make_idx_dir, one_epoch_ckpt, tmp_path):
    other = make_idx_dir(tmp_path / "other", seed=2)
    r = cli("train", "--data-dir", other, "--checkpoint-dir", one_epoch_ckpt, "--resume")
    assert r.code == 2
    assert "trained on other data" in r.err


def test_a_checkpoint_dir_that_is_a_file_is_refused_before_training(cli, tmp_path):
    (tmp_path / "f").write_text("x")
    r = cli("train", "--checkpoint-dir", tmp_path / "f", "--data-dir", tmp_path / "nope")
    assert r.code == 2
    assert f"--checkpoint-dir {tmp_path / 'f'}: exists and is not a folder" in r.err


def test_resume_needs_a_checkpoint_dir(cli):
    r = cli("train", "--resume")
    assert r.code == 2
    assert "--resume needs --checkpoint-dir" in r.err


def test_resume_into_an_empty_folder_starts_from_the_beginning(cli, tmp_path, data_dir):
    r = cli("train", "--data-dir", data_dir, "--epochs", 1, "--checkpoint-dir", tmp_path,
            "--resume", "--quiet")
    assert r.code == 0
    assert "no checkpoint in" in r.err
    assert [p.epoch for p, _ in checkpoint.listing(tmp_path)] == [1]


def test_a_checkpoint_stopped_inside_an_epoch_needs_epochs_to_finish_it(cli, tmp_path, data_dir,
                                                                      one_epoch_ckpt):
    ck = checkpoint.latest(one_epoch_ckpt)
    mid = checkpoint.Checkpoint(ck.params, Position(1, 10, 12.5, 0.1), ck.config,
                                ck.history, "numpy", ck.data_sha256)
    checkpoint.save(tmp_path, mid)
    r = cli("train", "--data-dir", data_dir, "--checkpoint-dir", tmp_path, "--resume",
            "--epochs", 1)
    assert r.code == 2
    assert "--epochs must be at least 2" in r.err
