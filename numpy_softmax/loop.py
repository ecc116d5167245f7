"""THE training loop: minibatch SGD with the seed's protocol, for every backend.

Dimensions: N training examples, D features, C classes, B batch size, S = steps per epoch.

The loop owns everything about training except the arithmetic of one step: the epochs, each
epoch's batch order (a pure function of seed and epoch), where a run stands (Position) and how
it resumes, should_stop, on_step / on_epoch, the divergence guard, the history and the timing.
The arithmetic belongs to a stepper, which holds the parameters and the training rows:

    stepper.config           the TrainConfig it was built with (lr, batch size, seed, ...)
    stepper.n_train          N, the rows the loop draws batches from
    stepper.step(idx)        one SGD update on the rows idx (B,); returns the loss before it
    stepper.params()         -> Params (NumPy arrays, a snapshot) of the current state
    stepper.logits(X)        -> Z (N', C) for rows X (N', D), by the stepper's own arithmetic
    stepper.steps(batches)   optional: the updates of all rows of batches (S, B) in one call,
                             returning the S losses (a whole epoch compiled at once)
    stepper.close()          optional: release sessions and the like

numpy_softmax.steppers holds the NumPy ones (reference and fast), tf_softmax the TF ones. The
loop imports no backend: whatever steps, the batches, the bookkeeping and the checks are these.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import validate
from .errors import InputError
from .model import Params, check_params, init_params
from .tolerances import DIVERGED_LOSS_FACTOR


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


# --- the divergence guard ---------------------------------------------------------------------

def loss_limit(n_classes: int) -> float:
    """The largest step loss that does not count as divergence: DIVERGED_LOSS_FACTOR * ln(C)
    (numpy_softmax.tolerances says why)."""
    return DIVERGED_LOSS_FACTOR * math.log(n_classes)


class DivergenceError(RuntimeError):
    """The loss or the parameters stopped being finite, or the loss blew past loss_limit(C)."""

    def __init__(self, epoch: int, step: int, lr: float, reason: str = "the loss is NaN or inf"):
        self.epoch, self.step, self.lr, self.reason = epoch, step, lr, reason
        super().__init__(f"training diverged at epoch {epoch}, step {step}: {reason}; try a "
                         f"smaller learning rate than {lr:g}")


def check_loss(loss: float, epoch: int, step: int, lr: float, limit: float) -> None:
    """Raise DivergenceError unless `loss` is finite and <= limit (see loss_limit)."""
    if not loss <= limit:  # also true for NaN: NaN <= x is False
        reason = ("the loss is NaN or inf" if not math.isfinite(loss) else
                  f"the loss reached {loss:.4g}, over the limit {limit:.4g} = "
                  f"{DIVERGED_LOSS_FACTOR:g} x ln(C), far worse than guessing")
        raise DivergenceError(epoch, step, lr, reason)


def check_params_finite(params: Params, epoch: int, step: int, lr: float) -> None:
    """Raise DivergenceError if W or b holds NaN or inf (one pass over W, once per epoch)."""
    if not (np.all(np.isfinite(params.W)) and np.all(np.isfinite(params.b))):
        raise DivergenceError(epoch, step, lr, "the parameters hold NaN or inf")


# --- the batches ------------------------------------------------------------------------------

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


def prepare(X, y, config: TrainConfig, params: Params | None = None, X_val=None, y_val=None,
            n_classes: int = 10):
    """Validate and convert training inputs once; returns (X, y_ids, params, X_val, y_val),
    X in the config's dtype. X may be (N, D) floats or anything with .shape, .astype and
    [idx] (numpy_softmax.data.ScaledRows: uint8 pixels read as float rows batch by batch).
    Without params, the model has n_classes classes (MNIST's 10) and every label must be one
    of them: a stray label is an error, never a silently wider model."""
    dtype = np.dtype(config.dtype)
    if isinstance(X, np.ndarray) or not hasattr(X, "astype"):
        X = validate.float_array("X", X, 2)
    X = X.astype(dtype, copy=False)  # (N, D)
    N, D = X.shape
    if params is None:
        params = init_params(D, n_classes, seed=config.seed, stddev=config.init_stddev,
                             dtype=dtype)
    else:
        params = check_params(params)
        params = Params(params.W.astype(dtype), params.b.astype(dtype))
    C = params.W.shape[1]
    if params.W.shape[0] != D:
        raise InputError(f"X must have shape (N, {params.W.shape[0]}) to match W, got {X.shape}")
    kind, y_ids = validate.labels("y", np.asarray(y), N, C, dtype)
    if kind != "ids":
        raise InputError("train takes integer class ids y (N,)")
    if N < config.batch_size and config.drop_last:
        raise InputError(f"{N} examples give no full batch of {config.batch_size}; lower "
                         "the batch size")
    if X_val is not None:
        X_val = validate.float_array("X_val", X_val, 2).astype(dtype, copy=False)
        _, y_val = validate.labels("y_val", y_val, X_val.shape[0], C, dtype)
    return X, y_ids, params, X_val, y_val


# --- the loop ---------------------------------------------------------------------------------

def sgd_steps(stepper, order: np.ndarray, *, epoch: int = 0, first_step: int = 0,
              on_step: Callable[[int, int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> tuple:
    """Steps first_step, first_step + 1, ... over the batches order[s*B:(s+1)*B] of the rows
    `order` (n,): the steps of one epoch (or of its first n rows). Returns (losses, stopped):
    the step losses as floats, in order, and whether should_stop() (asked after every step
    but the last) ended them early. Each loss meets the divergence guard as it comes: the
    first NaN, inf or loss over loss_limit(C) raises DivergenceError naming its step. A
    stepper with steps() takes all full batches in one call when nothing is asked in between.
    """
    config = stepper.config
    B, lr = config.batch_size, config.lr
    n_steps = steps_per_epoch(order.shape[0], config)
    limit = loss_limit(stepper.params().W.shape[1])
    if (hasattr(stepper, "steps") and first_step == 0 and on_step is None
            and should_stop is None and n_steps * B == order.shape[0] // B * B):
        losses = [float(v) for v in stepper.steps(
            np.ascontiguousarray(order[:n_steps * B].reshape(n_steps, B)))]  # (S, B)
        for s, loss in enumerate(losses):
            check_loss(loss, epoch, s, lr, limit)
        return losses, False
    losses, step = [], stepper.step
    for s in range(first_step, n_steps):
        loss = float(step(order[s * B:(s + 1) * B]))
        if not loss <= limit:  # NaN, inf or far worse than guessing
            check_loss(loss, epoch, s, lr, limit)  # raises DivergenceError
        losses.append(loss)
        if on_step is not None:
            on_step(epoch, s, n_steps)
        if should_stop is not None and s + 1 < n_steps and should_stop():
            return losses, True
    return losses, False


def run_epoch(stepper, epoch: int, *, start: Position | None = None, X_val=None, y_val=None,
              on_step: Callable[[int, int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None):
    """One epoch of SGD in the batch order of `epoch`, from step start.step (with the loss sum
    and seconds of the steps before it). Returns (EpochRecord or None, Params, Position or
    None): the record of a finished epoch, or None and the Position to resume from when
    should_stop() ended it between two steps. Raises DivergenceError at the first loss that
    is NaN, inf or over loss_limit(C) (sgd_steps), and when the parameters stop being finite:
    on_epoch never sees non-finite numbers."""
    config = stepper.config
    start = start if start is not None and start.epoch == epoch else Position(epoch)
    t0 = time.perf_counter()
    losses, stopped = sgd_steps(stepper, epoch_order(stepper.n_train, config, epoch),
                                epoch=epoch, first_step=start.step, on_step=on_step,
                                should_stop=should_stop)
    seconds = start.seconds + time.perf_counter() - t0  # the SGD steps only, no evaluation
    params = stepper.params()
    done = start.step + len(losses)  # steps of this epoch taken so far
    check_params_finite(params, epoch, done - 1, config.lr)
    total = start.loss_sum
    for v in losses:  # summed in step order, as the seed's avg_cost += c / total_batch
        total += v
    if stopped:
        return None, params, Position(epoch, done, total, seconds)
    val = None
    if X_val is not None:
        val = float(np.mean(np.argmax(stepper.logits(X_val), axis=1) == y_val))
    return EpochRecord(epoch, total / done, val, seconds), params, None


def run(stepper, *, X_val=None, y_val=None,
        on_step: Callable[[int, int, int], None] | None = None,
        on_epoch: Callable[[EpochRecord, Params], None] | None = None, history=(),
        resume: Position | None = None,
        should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Epochs of run_epoch until config.epochs in total; on_epoch(record, params) after each.

    history and resume=Position continue a stopped run (the stepper must hold that run's
    parameters): with the params, history and Position of a stopped run, the result is
    bit-identical to a run that never stopped. should_stop() is asked after every step; when
    it says True the run ends between two steps and the result carries stopped_at."""
    config = stepper.config
    pos = Position() if resume is None else resume
    n_steps = steps_per_epoch(stepper.n_train, config)
    if not (0 <= pos.step < n_steps and pos.epoch >= 0 and math.isfinite(pos.loss_sum)):
        raise InputError(f"cannot resume at {pos}: need epoch >= 0, 0 <= step < {n_steps} "
                         "steps per epoch and a finite loss_sum")
    if pos.step > 0 and pos.epoch >= config.epochs:
        raise InputError(f"the run stopped inside epoch {pos.epoch}; epochs must be at least "
                         f"{pos.epoch + 1} to finish it, got {config.epochs}")
    history = list(history)
    params = stepper.params()
    for epoch in range(pos.epoch, config.epochs):
        rec, params, stopped_at = run_epoch(stepper, epoch, start=pos, X_val=X_val,
                                            y_val=y_val, on_step=on_step,
                                            should_stop=should_stop)
        if stopped_at is not None:
            return TrainResult(params, tuple(history), config, stopped_at)
        history.append(rec)
        if on_epoch is not None:
            on_epoch(rec, params)
        if should_stop is not None and epoch + 1 < config.epochs and should_stop():
            return TrainResult(params, tuple(history), config, Position(epoch + 1))
    return TrainResult(params, tuple(history), config)
