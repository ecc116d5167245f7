"""What --checkpoint-dir, --resume and Ctrl-C mean for one `train` run.

Checkpoints: the checkpoint a run continues from, the config it keeps, a save after every
epoch and the save a Ctrl-C leaves, and the command that resumes it (softmax_parity.checkpoint
is the file format). StopOnCtrlC: the first Ctrl-C asks the loop to stop between two steps
(numpy_softmax.loop's should_stop), a second aborts at once. Every backend resumes
bit-identically through the one loop.
"""
from __future__ import annotations

import dataclasses
import os
import shlex
import signal
import sys
import threading

from numpy_softmax import Position, TrainConfig

from . import checkpoint, output
from .errors import UsageError


def add_args(p) -> None:
    """The flags --checkpoint-dir and --resume of `train`."""
    p.add_argument("--checkpoint-dir", metavar="DIR", default=None,
                   help="save a checkpoint here after every epoch (and on Ctrl-C); the two "
                        "newest are kept")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint in --checkpoint-dir up to "
                        "--epochs in total (a NumPy run ends bit-identical to one that never "
                        "stopped)")


class Checkpoints:
    """What --checkpoint-dir and --resume mean for one run: the checkpoint to continue from,
    the merged config, a save after every epoch and the save a Ctrl-C leaves."""

    def __init__(self, args, config):
        self.args, self.dir, self.data_sha = args, args.checkpoint_dir, None
        self.config, self.resumed, self.history, self.saved = config, None, [], None
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
        output.say(self.args, f"resuming from {ck.path}: epoch {ck.position.epoch}, step "
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
            _warn(f"aborted; the newest checkpoint in {self.dir} is at epoch "
                  f"{self.saved.epoch}, step {self.saved.step}. Resume with:\n  "
                  f"{_resume_command(self.args, self.config)}")

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
    output.check_out_dir(path, "--checkpoint-dir")


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


class StopOnCtrlC:
    """While training: the first Ctrl-C (SIGINT) asks train to stop after the current step
    (it is the `should_stop` callable); a second one aborts at once (KeyboardInterrupt).
    Installed only in the main thread; elsewhere Ctrl-C keeps Python's default behaviour."""

    def __init__(self):
        self.requested = False
        self.active = threading.current_thread() is threading.main_thread()
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
