"""softmax-parity train: train the seed's model and report as the seed did."""
from __future__ import annotations

import dataclasses
import inspect
import os
import shlex
import signal
import sys
import threading
import time

import numpy as np

from numpy_softmax import TrainConfig, logits
from numpy_softmax.fast import ScaledRows
from numpy_softmax.train import Position

from .. import backends, checkpoint, runrecord
from ..errors import UsageError
from . import common


def register(sub) -> None:
    p = sub.add_parser("train", help="train softmax regression on MNIST (the seed's protocol)",
                       description="Train softmax regression by SGD with the seed's protocol "
                                   "and print the seed's per-epoch lines, the total time and "
                                   "the test accuracy over all 10,000 test images.")
    p.add_argument("--backend", choices=list(backends.BACKENDS), default="numpy",
                   help="which implementation trains (default numpy)")
    common.add_config_args(p)
    common.add_data_args(p)
    p.add_argument("--out", metavar="DIR", help="write run.json (config, history, accuracies, "
                   "timings, versions) and params.npz here")
    p.add_argument("--logdir", metavar="DIR", help="write TensorBoard event files to "
                   "DIR/<backend> (tf-graph adds its graph); view with `tensorboard --logdir DIR`")
    p.add_argument("--quiet", action="store_true", help="print only the final summary line")
    _add_checkpoint_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    config = common.config_from_args(args)
    out = common.check_out_dir(args.out) if args.out else None
    if args.logdir is not None:
        common.check_out_dir(args.logdir, "--logdir")
    train_fn = backends.get(args.backend)
    ckpts = _Checkpoints(args, config, train_fn)  # --checkpoint-dir, --resume
    config = ckpts.config  # a resumed run keeps its checkpoint's config
    data = common.load_data(args, quiet=args.quiet)
    common.say(args, f"{data.name}: {len(data.train)} train, {len(data.validation)} validation, "
                     f"{len(data.test)} test images ({data.source})")
    ckpts.check_data(data)  # a checkpoint resumes only on the data it was trained on
    stop = _StopOnCtrlC(train_fn)  # Ctrl-C: finish the step, save, exit 130
    bar = common.progress(args, "epoch 0", 0)
    run_dir = tb_writer = None
    if args.logdir is not None:
        from .. import tensorboard
        run_dir = tensorboard.run_dir(common.check_out_dir(args.logdir, "--logdir"), args.backend)
        tb_writer = tensorboard.ScalarWriter(run_dir)

    def on_step(epoch, step, n_steps):
        if step == 0 or not bar.total:
            bar.reset(total=n_steps)
            bar.set_description(f"epoch {epoch}")
        bar.update(1)

    def on_epoch(rec, params):
        bar.clear()
        val = f"   validation accuracy: {rec.val_accuracy:.4f}" if rec.val_accuracy is not None \
            else ""
        if tb_writer is not None:
            tb_writer.scalars(rec.epoch, tensorboard.epoch_scalars(rec))
        common.say(args, f"Epoch {rec.epoch}  average loss: {rec.loss:3.5f}{val}"
                         f"   ({rec.seconds:.2f} s)")
        ckpts.epoch_done(rec, params)

    t0 = time.perf_counter()
    try:
        with stop:
            # numpy trains from the uint8 pixels, batch by batch: no float copy of the set
            X = ScaledRows(data.train.pixels, 1 / 255) if args.backend == "numpy" \
                else data.train.images
            result = train_fn(X, data.train.labels, config,
                              X_val=data.validation.images, y_val=data.validation.labels,
                              on_step=on_step, on_epoch=on_epoch, logdir=run_dir,
                              **ckpts.train_kwargs(), **stop.kwargs())
    except KeyboardInterrupt:
        ckpts.aborted()  # a second Ctrl-C, or a backend without should_stop
        raise
    finally:
        bar.close()
        if tb_writer is not None:
            tb_writer.close()
    total = time.perf_counter() - t0
    if getattr(result, "stopped_at", None) is not None:
        return ckpts.stopped(result)
    pred = np.argmax(logits(result.params, data.test.images), axis=1)  # (10000,)
    acc = float(np.mean(pred == data.test.labels))
    errors = int(np.sum(pred != data.test.labels))
    common.say(args, f"Total time: {total:.2f} s")
    common.say(args, "Optimization done!")
    print(f"Test accuracy (all {len(data.test)} test images): {acc:.4f}  "
          f"[{args.backend}, {config.epochs} epochs, final loss "
          f"{result.history[-1].loss if result.history else float('nan'):.5f}]")
    if out:
        rec = runrecord.train_record(backend=args.backend, config=config, data=data,
                                     result=result, test_accuracy=acc, test_errors=errors,
                                     total_seconds=total, created=common.now_iso())
        runrecord.write_run(out, rec, {args.backend: result.params})
        common.say(args, f"run record: {out}/run.json")
    return 0


# --- checkpoints, --resume and Ctrl-C (issue 7) ----------------------------------------------

def _add_checkpoint_args(p) -> None:
    p.add_argument("--checkpoint-dir", metavar="DIR", default=None,
                   help="save a checkpoint here after every epoch (and on Ctrl-C); the two "
                        "newest are kept")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint in --checkpoint-dir up to "
                        "--epochs in total (a NumPy run ends bit-identical to one that never "
                        "stopped)")


def _accepts(fn, name: str) -> bool:
    """Whether the backend function takes keyword `name` (train_numpy passes **kw on)."""
    params = inspect.signature(fn).parameters.values()
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)


class _Checkpoints:
    """What --checkpoint-dir and --resume mean for one run: the checkpoint to continue from,
    the merged config, a save after every epoch and the save a Ctrl-C leaves."""

    def __init__(self, args, config, train_fn):
        self.args, self.dir, self.data_sha = args, args.checkpoint_dir, None
        self.config, self.resumed, self.history, self.saved = config, None, [], None
        self.can_resume = _accepts(train_fn, "resume")
        if args.resume and not self.dir:
            raise UsageError("--resume needs --checkpoint-dir DIR, the folder the run saved to")
        if not self.dir:
            return
        _check_dir(self.dir)
        found = checkpoint.listing(self.dir)
        if found and not args.resume:
            raise UsageError(f"--checkpoint-dir {self.dir} already holds checkpoints (newest "
                             f"{os.path.basename(found[0][1])}); pass --resume to continue "
                             "that run, or choose another folder")
        if not args.resume:
            return
        if not self.can_resume:
            raise UsageError(f"backend {args.backend} cannot resume from a checkpoint yet")
        ck = checkpoint.latest(self.dir, warn=_warn, set_aside=True)
        if ck is None:
            _warn(f"no checkpoint in {self.dir} yet; starting from the beginning")
            return
        if ck.backend != args.backend:
            raise UsageError(f"the checkpoint in {self.dir} was made by backend {ck.backend}; "
                             f"pass --backend {ck.backend}")
        self.config = _merge_config(config, ck.config)
        pos = ck.position
        if pos.step > 0 and pos.epoch >= self.config.epochs:
            raise UsageError(f"the checkpoint stopped inside epoch {pos.epoch}; --epochs must "
                             f"be at least {pos.epoch + 1} to finish it")
        self.resumed, self.history, self.saved = ck, list(ck.history), pos

    def check_data(self, data) -> None:
        self.data_sha = data.content_sha256
        ck = self.resumed
        if ck is None:
            return
        if ck.data_sha256 is not None and ck.data_sha256 != self.data_sha:
            raise UsageError(f"the checkpoint in {self.dir} was trained on other data (content "
                             f"SHA-256 {ck.data_sha256[:16]}..., this is {self.data_sha[:16]}...)"
                             "; pass the same --dataset/--data-dir")
        common.say(self.args, f"resuming from {ck.path}: epoch {ck.position.epoch}, step "
                              f"{ck.position.step} (up to --epochs {self.config.epochs})")

    def train_kwargs(self) -> dict:
        ck = self.resumed
        return {} if ck is None else {"params": ck.params, "history": ck.history,
                                      "resume": ck.position}

    def save(self, params, position) -> str | None:
        if not self.dir or position == self.saved:
            return None
        ck = checkpoint.Checkpoint(params, position, self.config, tuple(self.history),
                                   self.args.backend, self.data_sha)
        path = checkpoint.save(self.dir, ck)
        self.saved = position
        return path

    def epoch_done(self, rec, params) -> None:
        self.history.append(rec)
        self.save(params, Position(rec.epoch + 1))

    def aborted(self) -> None:
        """Ctrl-C ended the run without a stop point: point at the newest epoch checkpoint."""
        if self.dir and self.saved is not None:
            how = (f"Resume with:\n  {_resume_command(self.args, self.config)}"
                   if self.can_resume else
                   f"(backend {self.args.backend} cannot resume from it yet)")
            _warn(f"aborted; the newest checkpoint in {self.dir} is at epoch "
                  f"{self.saved.epoch}, step {self.saved.step}. {how}")

    def stopped(self, result) -> int:
        """The run was stopped by Ctrl-C between two steps: save, say how to resume, 130."""
        pos = result.stopped_at
        where = f"interrupted at epoch {pos.epoch}, step {pos.step}"
        if not self.dir:
            _warn(f"{where}; nothing saved (train with --checkpoint-dir DIR to be able to "
                  "resume)")
            return 130
        self.save(result.params, pos)
        _warn(f"{where}; checkpoint saved in {self.dir}. Resume with:\n  "
              f"{_resume_command(self.args, self.config)}")
        return 130


def _check_dir(path) -> None:
    """--checkpoint-dir must be a folder we can write, checked before any training."""
    common.check_out_dir(path, "--checkpoint-dir")


def _merge_config(given, saved):
    """A resumed run keeps the config it started with; only --epochs may change. A flag left
    at its default takes the checkpoint's value; one that disagrees with it is an error."""
    default, merged, clash = TrainConfig(), {}, []
    for f in dataclasses.fields(TrainConfig):
        mine, theirs = getattr(given, f.name), getattr(saved, f.name)
        if f.name == "epochs":
            merged[f.name] = mine
            continue
        if mine != getattr(default, f.name) and mine != theirs:
            clash.append(f"--{f.name.replace('_', '-')} {mine} (checkpoint: {theirs})")
        merged[f.name] = theirs
    if clash:
        raise UsageError(f"{', '.join(clash)} disagrees with the checkpoint; a resumed run keeps "
                         "the config it started with (drop the flag, or use a new "
                         "--checkpoint-dir)")
    return TrainConfig(**merged)


def _resume_command(args, config) -> str:
    cmd = ["softmax-parity", "train", "--checkpoint-dir", args.checkpoint_dir, "--resume",
           "--epochs", str(config.epochs)]
    if args.backend != "numpy":
        cmd += ["--backend", args.backend]
    if args.dataset != "mnist":
        cmd += ["--dataset", args.dataset]
    for name in ("data_dir", "cache_dir", "out", "logdir"):
        if getattr(args, name, None) is not None:
            cmd += ["--" + name.replace("_", "-"), str(getattr(args, name))]
    if args.quiet:
        cmd.append("--quiet")
    return shlex.join(cmd)


def _warn(msg: str) -> None:
    print(f"softmax-parity train: {msg}", file=sys.stderr, flush=True)


class _StopOnCtrlC:
    """While training: the first Ctrl-C (SIGINT) asks train to stop after the current step
    (it is the `should_stop` callable); a second one aborts at once (KeyboardInterrupt).
    Installed only if the backend takes should_stop and we are in the main thread; otherwise
    Ctrl-C keeps Python's default behaviour."""

    def __init__(self, train_fn):
        self.requested = False
        self.active = (_accepts(train_fn, "should_stop")
                       and threading.current_thread() is threading.main_thread())
        self._old = None

    def __call__(self) -> bool:
        return self.requested

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        # os.write, not print: a handler may interrupt a print to stderr (the progress bar)
        os.write(2, b"\nCtrl-C: stopping after the current step (press again to abort now)\n")

    def kwargs(self) -> dict:
        return {"should_stop": self} if self.active else {}

    def __enter__(self):
        if self.active:
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.signal(signal.SIGINT, self._old)
        return False
