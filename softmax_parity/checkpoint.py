"""Checkpoints: everything a stopped training run needs to continue bit-identically.

One checkpoint is one npz read with allow_pickle=False (numpy_softmax.data.read_npz_arrays,
which checks each member's header before allocating), holding three plain arrays:
    W     (D, C)  float32/float64   the parameters
    b     (C,)    same dtype
    meta  (M,)    uint8             UTF-8 JSON: position (epoch, step, loss_sum, seconds),
                                    config, history, backend, seed, data checksum, format
The RNG state is the seed: the init is default_rng(seed) and epoch e's shuffle is
default_rng([seed, 1, e]) (train.epoch_order), so (seed, epoch) restores both exactly.

Files are named ckpt-EEEEE-SSSSSS.npz (epochs completed, steps of the next epoch taken), so the
newest is the largest name. Each is written by numpy_softmax.data.atomic_write: to a temporary
file in the same folder, flushed and fsynced, renamed over its final name (atomic on POSIX), and
the folder is fsynced: a crash or SIGKILL at any instant leaves either the old set of checkpoints
or the old set plus the new one, never a half-written file under a checkpoint's name. The two
newest are kept.

No NaN or inf is ever saved: save() refuses non-finite parameters, losses or history.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
from dataclasses import dataclass

import numpy as np

from numpy_softmax import EpochRecord, Params, Position, TrainConfig
from numpy_softmax.data import atomic_write, read_npz_arrays, remove_temps
from numpy_softmax.errors import DataError, InputError

FORMAT = 1  # bump when the meta layout changes; load() refuses formats it does not know
KEEP = 2  # checkpoints kept per folder: the newest, and one to fall back on
TMP_PREFIX = ".ckpt-"  # temporary files; a killed writer's leftovers are removed by save()
_NAME = re.compile(r"^ckpt-(\d{5,})-(\d{6,})\.npz$")
MAX_BYTES = 256 * 2**20  # a checkpoint of 784 x 10 float64 is ~70 KB; refuse absurd files


@dataclass(frozen=True)
class Checkpoint:
    params: Params
    position: Position  # where training continues: Position(epochs done, steps, loss_sum, s)
    config: TrainConfig
    history: tuple  # of EpochRecord, one per completed epoch
    backend: str  # which backend trained (a checkpoint resumes with the same one)
    data_sha256: str | None = None  # content SHA-256 of the training data, if known
    path: str | None = None  # the file it was read from


def file_name(position: Position) -> str:
    return f"ckpt-{position.epoch:05d}-{position.step:06d}.npz"


def _finite(x) -> bool:
    return x is None or (isinstance(x, (int, float)) and math.isfinite(x))


def to_bytes(ckpt: Checkpoint) -> bytes:
    """The npz bytes of a checkpoint. Refuses (InputError) anything that is not finite."""
    W, b = np.asarray(ckpt.params.W), np.asarray(ckpt.params.b)
    if W.dtype not in (np.float32, np.float64) or W.ndim != 2 or b.shape != (W.shape[1],) \
            or b.dtype != W.dtype:
        raise InputError(f"checkpoint params must be W (D, C) and b (C,) of one float dtype, got "
                         f"{W.dtype} {W.shape} and {b.dtype} {b.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise InputError("refusing to save a checkpoint whose parameters hold NaN or inf")
    pos = ckpt.position
    if not (_finite(pos.loss_sum) and _finite(pos.seconds)) or any(
            not (_finite(r.loss) and _finite(r.val_accuracy)) for r in ckpt.history):
        raise InputError("refusing to save a checkpoint whose losses hold NaN or inf")
    meta = {
        "format": FORMAT,
        "position": {"epoch": int(pos.epoch), "step": int(pos.step),
                     "loss_sum": float(pos.loss_sum), "seconds": float(pos.seconds)},
        "config": ckpt.config.to_dict(),
        "history": [{"epoch": r.epoch, "loss": r.loss, "val_accuracy": r.val_accuracy,
                     "seconds": r.seconds} for r in ckpt.history],
        "backend": ckpt.backend,
        "seed": ckpt.config.seed,
        "rng": {"init": "numpy.random.default_rng(seed)",
                "shuffle": "numpy.random.default_rng([seed, 1, epoch]).permutation(N)"},
        "data_sha256": ckpt.data_sha256,
    }
    text = json.dumps(meta, allow_nan=False)  # floats as repr: they read back bit for bit
    buf = io.BytesIO()
    np.savez(buf, W=W, b=b, meta=np.frombuffer(text.encode(), dtype=np.uint8))
    return buf.getvalue()


def _refuse_constant(name):
    raise ValueError(f"{name} is not allowed in a checkpoint")


def from_bytes(source, where) -> Checkpoint:
    """Parse a checkpoint (a path or its bytes). Raises DataError naming `where`."""
    arrs = read_npz_arrays(source, where, ("W", "b", "meta"), limit=MAX_BYTES)
    W, b, raw = arrs["W"], arrs["b"], arrs["meta"]
    if W.dtype not in (np.float32, np.float64) or W.ndim != 2 or b.shape != (W.shape[1],) \
            or b.dtype != W.dtype or W.shape[1] < 2:
        raise DataError(f"{where}: W, b are {W.dtype} {W.shape}, {b.dtype} {b.shape}; expected "
                        "W (D, C) and b (C,) of one float dtype")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise DataError(f"{where}: the parameters hold NaN or inf; not a checkpoint we wrote")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise DataError(f"{where}: meta is {raw.dtype} {raw.shape}, expected uint8 JSON")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"), parse_constant=_refuse_constant)
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, this version reads {FORMAT}")
        p = meta["position"]
        position = Position(int(p["epoch"]), int(p["step"]), float(p["loss_sum"]),
                            float(p["seconds"]))
        config = TrainConfig(**meta["config"])
        history = tuple(EpochRecord(int(r["epoch"]), float(r["loss"]),
                                    None if r["val_accuracy"] is None else
                                    float(r["val_accuracy"]), float(r["seconds"]))
                        for r in meta["history"])
        backend = str(meta["backend"])
        data_sha = meta.get("data_sha256")
    except (ValueError, TypeError, KeyError, AttributeError, InputError) as e:
        raise DataError(f"{where}: unreadable checkpoint metadata ({e})") from None
    if position.epoch < 0 or position.step < 0 or len(history) != position.epoch \
            or W.dtype != np.dtype(config.dtype):
        raise DataError(f"{where}: inconsistent checkpoint (position {position.epoch}/"
                        f"{position.step}, {len(history)} epochs of history, {W.dtype} params "
                        f"for a {config.dtype} config)")
    return Checkpoint(Params(W, b), position, config, history, backend, data_sha,
                      where if isinstance(where, str) else None)


def load(path) -> Checkpoint:
    """Read one checkpoint file (allow_pickle=False; every field checked)."""
    return from_bytes(os.fspath(path), os.fspath(path))


def listing(folder) -> list[tuple[Position, str]]:
    """The checkpoint files in `folder`, newest first, as (Position from the name, path)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        m = _NAME.match(name)
        if m:
            found.append((Position(int(m.group(1)), int(m.group(2))), os.path.join(folder, name)))
    found.sort(key=lambda t: (t[0].epoch, t[0].step), reverse=True)
    return found


def latest(folder, warn=None, set_aside: bool = False) -> Checkpoint | None:
    """The newest checkpoint in `folder` that loads, or None if there is none. A damaged one
    (a disk error, a file edited by hand) is skipped with warn(message) and the previous one
    is tried; with set_aside=True it is renamed to NAME.damaged, so that the checkpoints a
    resumed run writes are not shadowed by it. If files exist but none loads, DataError."""
    files = listing(folder)
    problems = []
    for _, path in files:
        try:
            return load(path)
        except DataError as e:
            problems.append(str(e))
            if set_aside:
                with contextlib.suppress(OSError):
                    os.replace(path, path + ".damaged")
            if warn is not None:
                warn(f"skipping damaged checkpoint{' (renamed *.damaged)' if set_aside else ''}"
                     f": {e}")
    if problems:
        raise DataError(f"{folder}: no loadable checkpoint ({'; '.join(problems)})")
    return None


def save(folder, ckpt: Checkpoint, *, keep: int = KEEP) -> str:
    """Write `ckpt` into `folder` atomically (temp file, flush, fsync, rename, fsync folder);
    then remove all but the `keep` newest checkpoints and any temporary file a killed writer
    left. Returns the path. Raises InputError, before touching the folder, if anything in
    the checkpoint is NaN or inf."""
    data = to_bytes(ckpt)  # refuses NaN before any file is touched
    folder = os.fspath(folder)
    path = os.path.join(folder, file_name(ckpt.position))
    atomic_write(path, data, prefix=TMP_PREFIX)  # creates the folder; fsyncs file and folder
    _prune(folder, keep)
    return path


def _prune(folder, keep: int) -> None:
    for _, old in listing(folder)[max(keep, 1):]:
        with contextlib.suppress(OSError):
            os.unlink(old)
    remove_temps(folder, prefix=TMP_PREFIX)  # one writer per folder: leftovers are dead
