"""The epoch loop the TF trainers share, around a "stepper" that owns the model's state.

A stepper has:
    n_train                      rows of the training set
    config                       the numpy_softmax.TrainConfig it trains with
    epoch(order, epoch, on_step, first_step=0, should_stop=None) -> (losses, stopped):
                                    the step losses (floats, in step order) of steps first_step..
                                    of the batches order[s*B:(s+1)*B], as numpy_softmax makes
                                    them; stopped when should_stop() ended the epoch early
    params()                     -> numpy_softmax.Params (NumPy arrays) of the current state
    predict(X)                   -> (N,) int64 argmax of the logits, computed by the stepper's TF

run_epoch measures, checks and records one epoch exactly as numpy_softmax.train does (mean of
the step losses summed in step order, parameters checked finite, validation accuracy over the
whole split), so a TF history and a NumPy history are comparable number by number, and
`compare` can run two steppers epoch by epoch in lockstep.
"""
from __future__ import annotations

import time

import numpy as np

from numpy_softmax import EpochRecord, TrainResult
from numpy_softmax.errors import InputError
from numpy_softmax.train import (Position, _check_epoch, check_loss, epoch_order, loss_limit,
                                 steps_per_epoch)


def step_loop(step, order, config, n_classes: int, epoch: int, on_step=None,
              first_step: int = 0, should_stop=None) -> tuple:
    """A stepper's epoch: step(idx) (one SGD update on the rows idx (B,), returning the loss
    before it) for steps first_step.. of the batches order[s*B:(s+1)*B]. Each loss goes
    through numpy_softmax's divergence guard at once; should_stop() is asked after every step
    but the last. Returns (losses, stopped), the contract of a stepper's epoch()."""
    B = config.batch_size
    n_steps = steps_per_epoch(order.shape[0], config)
    limit = loss_limit(n_classes)
    losses = []
    for s in range(first_step, n_steps):
        c = float(step(order[s * B:(s + 1) * B]))
        check_loss(c, epoch, s, config.lr, limit)
        losses.append(c)
        if on_step is not None:
            on_step(epoch, s, n_steps)
        if should_stop is not None and s + 1 < n_steps and should_stop():
            return losses, True
    return losses, False


def run_epoch(stepper, epoch: int, *, X_val=None, y_val=None, on_step=None,
              start: Position | None = None, should_stop=None):
    """One epoch of SGD in the seed's batch order for `epoch`, from step start.step (with the
    loss sum and seconds of the steps before it); returns (EpochRecord or None, Params,
    Position or None): the record of a finished epoch, or None and the Position to resume from
    when should_stop() ended it between two steps. Raises DivergenceError as numpy_softmax.train
    does: a loss NaN, inf or over loss_limit(C), or a parameter not finite."""
    config = stepper.config
    start = start if start is not None and start.epoch == epoch else Position(epoch)
    order = epoch_order(stepper.n_train, config, epoch)  # (N,)
    t0 = time.perf_counter()
    losses, stopped = stepper.epoch(order, epoch, on_step, first_step=start.step,
                                    should_stop=should_stop)
    seconds = start.seconds + time.perf_counter() - t0  # the SGD steps only, no evaluation
    params = stepper.params()
    _check_epoch(params, losses, epoch, start.step, config.lr, loss_limit(params.W.shape[1]))
    total = start.loss_sum
    for v in losses:  # summed in step order, as the seed's avg_cost += c / total_batch
        total += v
    done = start.step + len(losses)
    if stopped and done < steps_per_epoch(stepper.n_train, config):
        return None, params, Position(epoch, done, total, seconds)
    val = None
    if X_val is not None:
        val = float(np.mean(stepper.predict(X_val) == y_val))
    return EpochRecord(epoch, total / done, val, seconds), params, None


def train_loop(stepper, *, X_val=None, y_val=None, on_step=None, on_epoch=None, history=(),
               resume: Position | None = None, should_stop=None) -> TrainResult:
    """Epochs of run_epoch up to config.epochs in total; on_epoch(record, params) after each.
    history and resume=Position continue a stopped run (the stepper must hold that run's
    parameters); should_stop() is asked after every step, and when it says True the result
    carries stopped_at, as numpy_softmax.train's does."""
    config = stepper.config
    pos = Position() if resume is None else resume
    n_steps = steps_per_epoch(stepper.n_train, config)
    if not (0 <= pos.step < n_steps and pos.epoch >= 0):
        raise InputError(f"cannot resume at {pos}: need epoch >= 0 and 0 <= step < {n_steps}")
    history = list(history)
    params = stepper.params()
    for epoch in range(pos.epoch, config.epochs):
        rec, params, stopped_at = run_epoch(stepper, epoch, X_val=X_val, y_val=y_val,
                                            on_step=on_step, start=pos,
                                            should_stop=should_stop)
        if stopped_at is not None:
            return TrainResult(params, tuple(history), config, stopped_at)
        history.append(rec)
        if on_epoch is not None:
            on_epoch(rec, params)
        if should_stop is not None and epoch + 1 < config.epochs and should_stop():
            return TrainResult(params, tuple(history), config, Position(epoch + 1))
    return TrainResult(params, tuple(history), config)
