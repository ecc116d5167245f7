"""Issue 7, library level: checkpoints (atomic, pickle-free, never NaN), stop-and-resume equal
to an uninterrupted run bit for bit, a SIGKILLed writer, the divergence guard, and validation
kept out of the hot loop."""
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import loop, validate
from numpy_softmax.errors import DataError, InputError
from numpy_softmax.loop import EpochRecord, Position, TrainConfig, steps_per_epoch
from numpy_softmax.tolerances import DIVERGED_LOSS_FACTOR
from softmax_parity import checkpoint


def bits(a) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def same_run(r1, r2):
    """Bit-identical parameters and history (losses, validation accuracies)."""
    assert r1.params.W.dtype == r2.params.W.dtype
    assert bits(r1.params.W) == bits(r2.params.W) and bits(r1.params.b) == bits(r2.params.b)
    assert [(h.epoch, h.loss, h.val_accuracy) for h in r1.history] == \
        [(h.epoch, h.loss, h.val_accuracy) for h in r2.history]


def stop_after(k):
    """should_stop that says yes on its k-th call (and every later one)."""
    calls = [0]

    def should_stop():
        calls[0] += 1
        return calls[0] >= k
    return should_stop


def make_ckpt(params, epoch=1, step=0, loss_sum=0.0, config=TrainConfig(epochs=3)):
    hist = tuple(EpochRecord(e, 1.0 / (e + 1), 0.5, 0.1) for e in range(epoch))
    return checkpoint.Checkpoint(params, Position(epoch, step, loss_sum, 0.25), config, hist,
                                 "numpy", "ab" * 32)


# --- the checkpoint file --------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_checkpoint_round_trips_every_field_bit_for_bit(tmp_path, dtype):
    rng = np.random.default_rng(0)
    p = ns.Params(rng.standard_normal((784, 10)).astype(dtype), rng.standard_normal(10)
                  .astype(dtype))
    cfg = TrainConfig(epochs=7, lr=0.1 / 3, seed=11, dtype=dtype)
    ck = make_ckpt(p, epoch=2, step=17, loss_sum=0.1 + 0.2, config=cfg)
    path = checkpoint.save(tmp_path, ck)
    assert os.path.basename(path) == "ckpt-00002-000017.npz"
    got = checkpoint.load(path)
    assert got.params.W.dtype == np.dtype(dtype) and got.params.W.shape == (784, 10)
    assert bits(got.params.W) == bits(p.W) and bits(got.params.b) == bits(p.b)
    assert got.position == Position(2, 17, 0.1 + 0.2, 0.25)  # 0.30000000000000004 exactly
    assert got.config == cfg and got.config.seed == 11 and got.backend == "numpy"
    assert got.history == ck.history and got.data_sha256 == "ab" * 32
    with np.load(path, allow_pickle=False) as z:  # plain arrays: no pickle needed to read it
        assert sorted(z.files) == ["W", "b", "meta"]


@pytest.mark.parametrize("bad", ["W", "b", "loss_sum", "history"])
def test_save_refuses_nan_and_inf_and_writes_nothing(tmp_path, bad):
    p = ns.init_params()
    ck = make_ckpt(p, epoch=1)
    if bad == "W":
        W = p.W.copy()
        W[3, 4] = np.nan
        ck = make_ckpt(ns.Params(W, p.b))
    elif bad == "b":
        ck = make_ckpt(ns.Params(p.W, np.full(10, np.inf, np.float32)))
    elif bad == "loss_sum":
        ck = make_ckpt(p, step=3, loss_sum=float("nan"))
    else:
        ck = checkpoint.Checkpoint(p, Position(1), TrainConfig(), (EpochRecord(0, math.inf,
                                   None, 0.1),), "numpy")
    with pytest.raises(InputError, match="NaN or inf"):
        checkpoint.save(tmp_path, ck)
    assert list(tmp_path.iterdir()) == []


def test_only_the_two_newest_are_kept_and_dead_temp_files_are_removed(tmp_path):
    (tmp_path / ".ckpt-dead.part").write_bytes(b"half a checkpoint")
    p = ns.init_params()
    for e in range(1, 5):
        checkpoint.save(tmp_path, make_ckpt(p, epoch=e))
    assert sorted(f.name for f in tmp_path.iterdir()) == ["ckpt-00003-000000.npz",
                                                         "ckpt-00004-000000.npz"]
    assert checkpoint.latest(tmp_path).position.epoch == 4


def test_a_crash_before_the_rename_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    p = ns.init_params()
    checkpoint.save(tmp_path, make_ckpt(p, epoch=1))

    def crash(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(checkpoint.os, "replace", crash)
    with pytest.raises(OSError):
        checkpoint.save(tmp_path, make_ckpt(p, epoch=2))
    monkeypatch.undo()
    assert [f.name for f in tmp_path.iterdir()] == ["ckpt-00001-000000.npz"]
    assert checkpoint.latest(tmp_path).position.epoch == 1


def test_latest_skips_a_damaged_newest_checkpoint_and_sets_it_aside(tmp_path):
    p = ns.init_params()
    checkpoint.save(tmp_path, make_ckpt(p, epoch=1))
    newest = checkpoint.save(tmp_path, make_ckpt(p, epoch=2))
    with open(newest, "r+b") as f:  # a disk error in the middle of the file
        f.seek(200)
        f.write(b"\xff" * 64)
    warnings = []
    got = checkpoint.latest(tmp_path, warn=warnings.append, set_aside=True)
    assert got.position.epoch == 1
    assert len(warnings) == 1 and "ckpt-00002-000000.npz" in warnings[0]
    assert os.path.exists(newest + ".damaged") and not os.path.exists(newest)


def test_an_empty_folder_has_no_checkpoint_and_an_all_damaged_one_is_an_error(tmp_path):
    assert checkpoint.latest(tmp_path) is None
    assert checkpoint.latest(tmp_path / "missing") is None
    (tmp_path / "ckpt-00001-000000.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="no loadable checkpoint"):
        checkpoint.latest(tmp_path)


def _npz(**arrays) -> bytes:
    import io
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _meta(**change) -> np.ndarray:
    import json
    meta = {"format": 1, "position": {"epoch": 0, "step": 0, "loss_sum": 0.0, "seconds": 0.0},
            "config": TrainConfig().to_dict(), "history": [], "backend": "numpy"}
    meta.update(change)
    text = json.dumps(meta).replace('"NAN"', "NaN")
    return np.frombuffer(text.encode(), np.uint8)


@pytest.mark.parametrize("arrays, needle", [
    (dict(W=np.zeros((784, 10), np.float32), b=np.array([object()] * 10), meta=_meta()),
     "pickled Python objects"),
    (dict(W=np.full((784, 10), np.nan, np.float32), b=np.zeros(10, np.float32), meta=_meta()),
     "NaN or inf"),
    (dict(W=np.zeros((784, 10), np.float32), b=np.zeros(10, np.float32),
          meta=_meta(position={"epoch": 0, "step": 0, "loss_sum": "NAN", "seconds": 0})),
     "NaN is not allowed"),
    (dict(W=np.zeros((784, 10), np.float32), b=np.zeros(10, np.float32), meta=_meta(format=99)),
     "format 99"),
    (dict(W=np.zeros((784, 10), np.float32), b=np.zeros(10, np.float32),
          meta=_meta(config={"lr": -1})), "lr must be"),
    (dict(W=np.zeros((784, 10), np.float64), b=np.zeros(10, np.float64), meta=_meta()),
     "inconsistent"),
    (dict(W=np.zeros((784, 10), np.float32), b=np.zeros(9, np.float32), meta=_meta()),
     "expected W"),
    (dict(W=np.zeros((784, 10), np.float32), b=np.zeros(10, np.float32)), "lacks meta"),
], ids=["pickle", "nan-params", "nan-json", "format", "bad-config", "dtype", "shapes", "meta"])
def test_a_hostile_or_inconsistent_checkpoint_is_refused(tmp_path, arrays, needle):
    path = tmp_path / "ckpt-00000-000000.npz"
    path.write_bytes(_npz(**arrays))
    with pytest.raises(DataError, match=needle):
        checkpoint.load(path)


# --- stop and resume --------------------------------------------------------------------------

N_STEPS = steps_per_epoch(1024, TrainConfig(batch_size=128))  # 8


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k", [1, 5, N_STEPS, N_STEPS + 3, 2 * N_STEPS - 1],
                         ids=["after-step-0", "mid-epoch-0", "epoch-boundary", "mid-epoch-1",
                              "last-step-of-epoch-1"])
def test_stop_save_load_resume_is_bit_identical_to_an_uninterrupted_run(mnist_like, tmp_path, k,
                                                                        dtype):
    X, y = mnist_like(1024, seed=3)
    cfg = TrainConfig(epochs=3, batch_size=128, lr=0.5, seed=5, dtype=dtype)
    kw = dict(X_val=X[:200], y_val=y[:200])
    whole = ns.train(X, y, cfg, **kw)

    part = ns.train(X, y, cfg, should_stop=stop_after(k), **kw)
    pos = part.stopped_at
    assert pos is not None and (pos.epoch, pos.step) == divmod(k, N_STEPS)
    checkpoint.save(tmp_path, checkpoint.Checkpoint(part.params, pos, cfg, part.history,
                                                    "numpy"))
    ck = checkpoint.latest(tmp_path)  # from disk: what a new process would see
    resumed = ns.train(X, y, ck.config, params=ck.params, history=ck.history,
                       resume=ck.position, **kw)
    assert resumed.stopped_at is None
    same_run(resumed, whole)


def test_many_stops_in_a_row_still_end_bit_identical(mnist_like, tmp_path):
    X, y = mnist_like(1024, seed=3)
    cfg = TrainConfig(epochs=3, batch_size=128, lr=0.5, seed=9)
    whole = ns.train(X, y, cfg)
    kw, stops = {}, 0
    while True:
        r = ns.train(X, y, cfg, should_stop=stop_after(3), **kw)
        if r.stopped_at is None:
            break
        stops += 1
        checkpoint.save(tmp_path, checkpoint.Checkpoint(r.params, r.stopped_at, cfg,
                                                        r.history, "numpy"))
        ck = checkpoint.latest(tmp_path)
        kw = dict(params=ck.params, history=ck.history, resume=ck.position)
    assert stops == 7  # 3 epochs x 8 steps = 23 should_stop calls; a stop at every 3rd
    same_run(r, whole)


def test_resuming_can_extend_the_number_of_epochs(mnist_like):
    X, y = mnist_like(1024, seed=3)
    cfg = TrainConfig(epochs=4, batch_size=128, lr=0.5)
    whole = ns.train(X, y, cfg)
    first = ns.train(X, y, TrainConfig(epochs=2, batch_size=128, lr=0.5))
    rest = ns.train(X, y, cfg, params=first.params, history=first.history,
                    resume=Position(2))
    same_run(rest, whole)


def test_a_resume_point_outside_the_run_is_refused(mnist_like):
    X, y = mnist_like(1024, seed=3)
    cfg = TrainConfig(epochs=2, batch_size=128)
    with pytest.raises(InputError, match="0 <= step < 8"):
        ns.train(X, y, cfg, resume=Position(0, N_STEPS))
    with pytest.raises(InputError, match="at least 3"):
        ns.train(X, y, cfg, resume=Position(2, 3))


# --- a writer killed with SIGKILL -------------------------------------------------------------

WRITER = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    from softmax_parity import checkpoint
    from numpy_softmax.model import Params
    from numpy_softmax.loop import EpochRecord, Position, TrainConfig
    folder, pause = sys.argv[1], sys.argv[2] == "pause"
    if pause:  # announce the moment between writing the bytes and renaming them, and hang
        real_fsync = os.fsync
        def fsync(fd):
            real_fsync(fd)
            names = os.listdir(folder)  # pause in the second save: one checkpoint exists
            if any(n.endswith(".part") for n in names) and any(n.startswith("ckpt-")
                                                                for n in names):
                print("mid-write", flush=True)
                time.sleep(60)
        checkpoint.os.fsync = fsync
    last = checkpoint.latest(folder)
    e = 0 if last is None else last.position.epoch
    hist = [EpochRecord(i, float(i), None, 0.0) for i in range(e)]
    while True:
        e += 1
        hist.append(EpochRecord(e - 1, float(e - 1), None, 0.0))
        W = np.full((20000, 10), e, np.float32)  # (D, C) 800 KB: a write takes a while
        ck = checkpoint.Checkpoint(Params(W, np.full(10, e, np.float32)), Position(e),
                                   TrainConfig(), tuple(hist), "numpy")
        checkpoint.save(folder, ck)
        print(e, flush=True)
""")


def run_writer_then_kill(folder, mode, wait_for, delay=0.0):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), mode],
                            stdout=subprocess.PIPE, text=True)
    try:
        while proc.stdout.readline().strip() != wait_for:
            assert proc.poll() is None, "the writer died by itself"
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()


def check_consistent(ck):
    e = ck.position.epoch
    assert np.all(ck.params.W == e) and np.all(ck.params.b == e)
    assert [h.epoch for h in ck.history] == list(range(e))
    return e


def test_a_writer_killed_between_write_and_rename_leaves_the_previous_checkpoint(tmp_path):
    run_writer_then_kill(tmp_path, "pause", "mid-write")  # killed inside its second save
    assert any(f.name.endswith(".part") for f in tmp_path.iterdir())  # half-done, unnamed
    assert check_consistent(checkpoint.latest(tmp_path)) == 1


def test_a_writer_killed_at_random_moments_always_leaves_a_loadable_checkpoint(tmp_path):
    rng = np.random.default_rng(2024)
    reached = []
    for kill in range(6):
        run_writer_then_kill(tmp_path, "run", str(1 + (reached[-1] if reached else 0)),
                             delay=rng.uniform(0.0, 0.08))
        reached.append(check_consistent(checkpoint.latest(tmp_path)))  # loads, whatever
    assert reached == sorted(reached) and reached[-1] >= 6  # each life went further


# --- the divergence guard ---------------------------------------------------------------------

def hand_written_losses(X, y, lr, steps, B=128, seed=0):
    """The seed's SGD written out again with plain NumPy (float64), no project code, for the
    first `steps` steps of epoch 0: the step losses."""
    n = X.shape[0]
    order = np.random.default_rng([seed, 1, 0]).permutation(n)
    W = np.random.default_rng(seed).standard_normal((784, 10)) * 0.01
    b = np.zeros(10)
    out = []
    for s in range(steps):
        idx = order[s * B:(s + 1) * B]
        Xb, yb = X[idx].astype(np.float64), y[idx]
        Z = Xb @ W + b
        Z = Z - Z.max(axis=1, keepdims=True)
        logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
        out.append(-logp[np.arange(B), yb].mean())
        G = np.exp(logp)
        G[np.arange(B), yb] -= 1
        G /= B
        W, b = W - lr * (Xb.T @ G), b - lr * G.sum(axis=0)
    return out


def test_lr_1e4_stops_at_the_first_step_whose_loss_blows_up(mnist_like):
    X, y = mnist_like(2048, seed=3)
    cfg = TrainConfig(epochs=30, lr=1e4, dtype="float64")
    seen = []
    with pytest.raises(ns.DivergenceError) as e:
        ns.train(X, y, cfg, on_epoch=lambda rec, p: seen.append(rec))
    err = e.value
    limit = DIVERGED_LOSS_FACTOR * math.log(10)
    losses = hand_written_losses(X, y, 1e4, err.step + 1)
    assert all(v <= limit for v in losses[:-1]) and losses[-1] > limit  # the first bad step
    assert err.epoch == 0 and seen == []
    msg = str(err)
    assert f"epoch 0, step {err.step}" in msg and "smaller learning rate than 10000" in msg
    assert "nan" not in msg.lower().replace("nan or inf", "")


def test_the_seed_learning_rate_and_a_large_one_do_not_trip_the_guard(mnist_like):
    X, y = mnist_like(2048, seed=3)
    for lr in (0.01, 1.0):
        r = ns.train(X, y, TrainConfig(epochs=2, lr=lr))
        assert all(math.isfinite(h.loss) for h in r.history)


def test_nan_parameters_stop_the_run_and_never_reach_a_checkpoint(mnist_like, tmp_path):
    X, y = mnist_like(1024, seed=3)

    class Poisoned(ns.ReferenceStepper):  # a stepper that lets a NaN through
        taken = 0

        def step(self, idx):
            loss = super().step(idx)
            self.taken += 1
            if self.taken == 2 * 8 + 8:  # epoch 2's last step (8 steps an epoch)
                W = self._params.W.copy()
                W[0, 0] = np.nan
                self._params = ns.Params(W, self._params.b)
            return loss

    config = TrainConfig(epochs=5, batch_size=128)
    X, y, params, _, _ = loop.prepare(X, y, config)
    saved = []

    def on_epoch(rec, params):  # what `train --checkpoint-dir` does after every epoch
        saved.append(rec)
        checkpoint.save(tmp_path, checkpoint.Checkpoint(params, Position(rec.epoch + 1),
                                                        TrainConfig(epochs=5), tuple(saved),
                                                        "numpy"))

    with pytest.raises(ns.DivergenceError, match="epoch 2, step 7: the parameters hold NaN"):
        loop.run(Poisoned(X, y, config, params), on_epoch=on_epoch)
    assert [r.epoch for r in saved] == [0, 1]
    for _, path in checkpoint.listing(tmp_path):
        ck = checkpoint.load(path)
        assert np.all(np.isfinite(ck.params.W)) and ck.position.epoch <= 2


def test_every_stepper_meets_the_same_guard_at_the_same_step(mnist_like):
    X, y = mnist_like(2048, seed=3)
    config = TrainConfig(lr=1e4, dtype="float64")
    errors = []
    for name in ("reference", "fast"):
        with pytest.raises(ns.DivergenceError) as e:
            ns.train(X, y, config, stepper=name)
        errors.append((e.value.epoch, e.value.step))
    Xp, yp, params, _, _ = loop.prepare(X, y, config)
    with pytest.raises(ns.DivergenceError) as e:  # the loop alone, no train() around it
        loop.run(ns.ReferenceStepper(Xp, yp, config, params))
    errors.append((e.value.epoch, e.value.step))
    assert errors[0] == errors[1] == errors[2]


# --- validation at the edge, not in the loop ---------------------------------------------------

def test_validation_runs_once_at_the_edge_whatever_the_number_of_steps(mnist_like,
                                                                       monkeypatch):
    X, y = mnist_like(1024, seed=3)
    calls = []
    for name in ("float_array", "labels"):
        real = getattr(validate, name)

        def counted(*a, _real=real, _name=name, **k):
            calls.append(_name)
            return _real(*a, **k)
        monkeypatch.setattr(validate, name, counted)
    ns.train(X, y, TrainConfig(epochs=1, batch_size=128))
    one_epoch = len(calls)
    calls.clear()
    ns.train(X, y, TrainConfig(epochs=4, batch_size=16))  # 64 steps a epoch, 256 in all
    assert len(calls) == one_epoch <= 6
    calls.clear()
    stepper = ns.ReferenceStepper(X, y, TrainConfig(batch_size=16), ns.init_params())
    for s in range(64):
        stepper.step(np.arange(16 * s, 16 * s + 16))
    assert calls == []  # the hot loop: unchecked functions only
