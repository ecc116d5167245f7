"""Training by minibatch SGD with the seed's protocol, deterministic from one integer seed.

Dimensions: N training examples, D features, C classes, B batch size.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _validate
from .errors import InputError
from . import kernels
from .model import Params, check_params, init_params
from .sgd import sgd_step


@dataclass(frozen=True)
class TrainConfig:
    """The seed's training protocol; every default is the seed's value."""

    epochs: int = 30          # the seed trains for 30 epochs
    batch_size: int = 128     # mnist.train.next_batch(128)
    lr: float = 0.01          # GradientDescentOptimizer(0.01): a constant step
    init_stddev: float = 0.01  # W ~ Normal(0, 0.01^2); b starts at 0
    seed: int = 0             # one integer drives the init and every epoch's shuffle
    dtype: str = "float32"    # the seed computed in float32; "float64" for reference runs
    shuffle: bool = True      # next_batch reshuffles the training set every epoch
    drop_last: bool = True    # int(55000 / 128) = 429 full batches; the 88 left over are unused

    def __post_init__(self):
        for name in ("epochs", "batch_size", "seed"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise InputError(f"{name} must be an integer, got {v!r}")
        if self.epochs < 0:
            raise InputError(f"epochs must be >= 0, got {self.epochs}")
        if self.batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.seed < 0:
            raise InputError(f"seed must be >= 0, got {self.seed}")
        if not (isinstance(self.lr, numbers.Real) and not isinstance(self.lr, bool)
                and math.isfinite(self.lr) and self.lr > 0):
            raise InputError(f"lr must be a finite number > 0, got {self.lr!r}")
        # a Python float, so that NumPy scalars (np.float64(0.01)) never promote float32 math
        object.__setattr__(self, "lr", float(self.lr))
        object.__setattr__(self, "init_stddev", float(self.init_stddev))
        if not (math.isfinite(self.init_stddev) and self.init_stddev >= 0):
            raise InputError(f"init_stddev must be finite and >= 0, got {self.init_stddev!r}")
        if self.dtype not in ("float32", "float64"):
            raise InputError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    loss: float             # mean of the epoch's minibatch losses (the seed's "average loss")
    val_accuracy: float | None
    seconds: float          # wall time of the epoch's SGD steps (evaluation excluded)


@dataclass(frozen=True)
class Position:
    """A point between two SGD steps, where a run can stop and later resume bit-identically.

    epoch: the epoch under way (= the number of epochs completed); step: its first step not
    yet taken (0 = the epoch has not begun); loss_sum: that epoch's step losses so far, added
    in step order (the epoch's mean is finished from it); seconds: its SGD time so far.
    Nothing else is needed: the shuffle is epoch_order(n, config, epoch), a pure function of
    (seed, epoch), and the init is drawn once from default_rng(seed)."""

    epoch: int = 0
    step: int = 0
    loss_sum: float = 0.0
    seconds: float = 0.0


@dataclass(frozen=True)
class TrainResult:
    params: Params
    history: tuple  # of EpochRecord
    config: TrainConfig
    stopped_at: Position | None = None  # where should_stop() ended the run; None: it ran out


# A step whose mean loss exceeds DIVERGED_LOSS_FACTOR * ln(C) counts as divergence. ln(C) is
# the loss of a uniform guess; 100 x that (230 for C = 10) means the true class gets
# probability e^-230 on average: logit margins in the hundreds, the wrong way. This model's
# gradient is bounded (|dL/dW| <= max |x|), so a step that is too large never reaches inf in
# float32: on MNIST at lr 1e4 the step losses swing up to ~7e4 and stay finite for 30 epochs
# (measured; they scale with lr: ~57 at lr 10, ~700 at lr 100). NaN/inf alone would never fire.
DIVERGED_LOSS_FACTOR = 100.0


def loss_limit(n_classes: int) -> float:
    """The largest step loss that does not count as divergence: DIVERGED_LOSS_FACTOR * ln(C)."""
    return DIVERGED_LOSS_FACTOR * math.log(n_classes)


class DivergenceError(RuntimeError):
    """The loss or the parameters stopped being finite, or the loss blew past loss_limit(C)."""

    def __init__(self, epoch: int, step: int, lr: float, reason: str = "the loss is NaN or inf"):
        self.epoch, self.step, self.lr, self.reason = epoch, step, lr, reason
        super().__init__(f"training diverged at epoch {epoch}, step {step}: {reason}; try a "
                         f"smaller learning rate than {lr:g}")


def check_loss(loss: float, epoch: int, step: int, lr: float, limit: float) -> None:
    """Raise DivergenceError unless `loss` is finite and <= limit (see loss_limit). One
    comparison per step: what an epoch function calls to stop at the first bad step."""
    if not loss <= limit:  # also true for NaN: NaN <= x is False
        reason = ("the loss is NaN or inf" if not math.isfinite(loss) else
                  f"the loss reached {loss:.4g}, over the limit {limit:.4g} = "
                  f"{DIVERGED_LOSS_FACTOR:g} x ln(C), far worse than guessing")
        raise DivergenceError(epoch, step, lr, reason)


def steps_per_epoch(n: int, config: TrainConfig) -> int:
    return n // config.batch_size if config.drop_last else -(-n // config.batch_size)


def epoch_order(n: int, config: TrainConfig, epoch: int) -> np.ndarray:
    """The row order of one epoch: a permutation of range(n) (n,) drawn from
    default_rng([seed, 1, epoch]), a stream apart from the init's default_rng(seed).
    A pure function of (seed, epoch): a resumed run and a TF run can reproduce it exactly."""
    if not config.shuffle:
        return np.arange(n)
    return np.random.default_rng([config.seed, 1, epoch]).permutation(n)


def batches(n: int, config: TrainConfig, epoch: int):
    """The index arrays (B,) of one epoch's minibatches, in order."""
    order = epoch_order(n, config, epoch)
    B = config.batch_size
    for s in range(steps_per_epoch(n, config)):
        yield order[s * B:(s + 1) * B]


def _accuracy(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(kernels.logits(X, params.W, params.b), axis=1) == y))


def sgd_epoch(params: Params, X: np.ndarray, y: np.ndarray, order: np.ndarray,
              config: TrainConfig, *, epoch: int, first_step: int = 0,
              on_step: Callable[[int, int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None):
    """The reference SGD epoch: steps first_step, first_step + 1, ... of the batches that
    `order` (n,) makes (batch s = order[s*B:(s+1)*B]).

    Returns (params, losses, stopped): the new Params, the list of the steps' losses (floats,
    in order) and whether should_stop() asked to stop early (checked after every step, so a
    stop always falls between two whole steps). Raises DivergenceError on a NaN/inf loss or
    one over loss_limit(C) (check_loss), before that step's update.
    """
    B = config.batch_size
    n_steps = steps_per_epoch(order.shape[0], config)
    limit = loss_limit(params.W.shape[1])
    losses = []
    for step in range(first_step, n_steps):
        idx = order[step * B:(step + 1) * B]  # (B,)
        loss, dW, db = kernels.loss_and_grads(X[idx], params.W, params.b, "ids", y[idx])
        loss = float(loss)
        check_loss(loss, epoch, step, config.lr, limit)
        params = sgd_step(params, Params(dW, db), config.lr)
        losses.append(loss)
        if on_step is not None:
            on_step(epoch, step, n_steps)
        if should_stop is not None and step + 1 < n_steps and should_stop():
            return params, losses, True
    return params, losses, False


def prepare(X, y, config: TrainConfig, params: Params | None = None, X_val=None, y_val=None,
            n_classes: int = 10):
    """Validate and convert training inputs once; returns (X, y_ids, params, X_val, y_val).
    Without params, the model has n_classes classes (MNIST's 10) and every label must be one
    of them: a stray label is an error, never a silently wider model."""
    dtype = np.dtype(config.dtype)
    from .fast import ScaledRows  # uint8 pixels read as float rows, batch by batch
    if not isinstance(X, ScaledRows):
        X = _validate.float_array("X", X, 2)
    X = X.astype(dtype, copy=False)  # (N, D)
    N, D = X.shape
    y_arr = np.asarray(y)
    if params is None:
        params = init_params(D, n_classes, seed=config.seed, stddev=config.init_stddev,
                             dtype=dtype)
    else:
        params = check_params(params)
        params = Params(params.W.astype(dtype), params.b.astype(dtype))
    C = params.W.shape[1]
    if params.W.shape[0] != D:
        raise InputError(f"X must have shape (N, {params.W.shape[0]}) to match W, got {X.shape}")
    kind, y_ids = _validate.labels("y", y_arr, N, C, dtype)
    if kind != "ids":
        raise InputError("train takes integer class ids y (N,)")
    if N < config.batch_size and config.drop_last:
        raise InputError(f"{N} examples give no full batch of {config.batch_size}; lower "
                         "the batch size")
    if X_val is not None:
        X_val = _validate.float_array("X_val", X_val, 2).astype(dtype, copy=False)
        _, y_val = _validate.labels("y_val", y_val, X_val.shape[0], C, dtype)
    return X, y_ids, params, X_val, y_val


def train(X, y, config: TrainConfig = TrainConfig(), *, params: Params | None = None,
          X_val=None, y_val=None, start_epoch: int = 0, history=(),
          on_step: Callable[[int, int, int], None] | None = None,
          on_epoch: Callable[[EpochRecord, Params], None] | None = None,
          epoch_fn=sgd_epoch, resume: Position | None = None,
          should_stop: Callable[[], bool] | None = None, n_classes: int = 10) -> TrainResult:
    """Minibatch SGD on mean cross-entropy, the readable reference.

    Each step: Xb, yb = the next batch (B, D), (B,); loss, grads = loss_and_grads(params, Xb,
    yb); params = params - lr * grads. Shapes: X (N, D), y (N,) int labels in [0, C).
    X may be a numpy_softmax.fast.ScaledRows (uint8 pixels read as float rows per batch).
    params defaults to init_params(D, C, seed=config.seed, stddev=config.init_stddev).
    start_epoch/history continue an earlier run (epochs counts the total, not the new ones);
    resume=Position(epoch, step, loss_sum, seconds) continues one stopped between two steps of
    an epoch (it replaces start_epoch). With the params, history and Position of a stopped run,
    the result is bit-identical to a run that never stopped.
    on_step(epoch, step, n_steps) and on_epoch(record, params) report progress; should_stop()
    is asked after every step: when it says True the run ends between two steps and the result
    carries stopped_at, the Position to resume from. epoch_fn runs one epoch (default
    sgd_epoch; a faster one must give the same numbers).
    Raises DivergenceError as soon as a loss is NaN, inf or over loss_limit(C), or the
    parameters stop being finite; on_epoch never sees non-finite numbers.
    """
    X, y_ids, params, X_val, y_val = prepare(X, y, config, params, X_val, y_val, n_classes)
    N = X.shape[0]
    n_steps = steps_per_epoch(N, config)
    pos = Position(start_epoch) if resume is None else resume
    if not (0 <= pos.step < n_steps and pos.epoch >= 0 and math.isfinite(pos.loss_sum)):
        raise InputError(f"cannot resume at {pos}: need epoch >= 0, 0 <= step < {n_steps} "
                         "steps per epoch and a finite loss_sum")
    if pos.step > 0 and pos.epoch >= config.epochs:
        raise InputError(f"the run stopped inside epoch {pos.epoch}; epochs must be at least "
                         f"{pos.epoch + 1} to finish it, got {config.epochs}")
    limit = loss_limit(params.W.shape[1])
    history = list(history)
    for epoch in range(pos.epoch, config.epochs):
        first, total, before = (pos.step, pos.loss_sum, pos.seconds) if epoch == pos.epoch \
            else (0, 0.0, 0.0)
        t0 = time.perf_counter()
        params, losses, stopped = epoch_fn(params, X, y_ids, epoch_order(N, config, epoch),
                                           config, epoch=epoch, first_step=first,
                                           on_step=on_step, should_stop=should_stop)
        seconds = before + time.perf_counter() - t0
        _check_epoch(params, losses, epoch, first, config.lr, limit)
        for v in losses:  # summed in step order, as the seed's avg_cost += c / total_batch
            total += v
        done = first + len(losses)  # steps of this epoch taken so far
        if stopped and done < n_steps:
            return TrainResult(params, tuple(history), config,
                               Position(epoch, done, total, seconds))
        val = _accuracy(params, X_val, y_val) if X_val is not None else None
        rec = EpochRecord(epoch, total / done, val, seconds)
        history.append(rec)
        if on_epoch is not None:
            on_epoch(rec, params)
        if should_stop is not None and epoch + 1 < config.epochs and should_stop():
            return TrainResult(params, tuple(history), config, Position(epoch + 1))
    return TrainResult(params, tuple(history), config)


def _check_epoch(params: Params, losses, epoch: int, first: int, lr: float, limit: float):
    """The divergence guard after an epoch function returns, whatever it checked itself: every
    loss finite and <= limit, the parameters finite. Costs one pass over W per epoch."""
    for i, v in enumerate(losses):
        check_loss(v, epoch, first + i, lr, limit)
    if not (np.all(np.isfinite(params.W)) and np.all(np.isfinite(params.b))):
        raise DivergenceError(epoch, first + len(losses) - 1, lr,
                              "the parameters hold NaN or inf")
