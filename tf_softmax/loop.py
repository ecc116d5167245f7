"""The epoch loop the TF trainers share, around a "stepper" that owns the model's state.

A stepper has:
    n_train                      rows of the training set
    config                       the numpy_softmax.TrainConfig it trains with
    epoch(order, epoch, on_step) -> list of the epoch's step losses (floats, in step order);
                                    the batches are order[s*B:(s+1)*B], as numpy_softmax makes them
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
from numpy_softmax.train import _check_epoch, epoch_order, loss_limit


def run_epoch(stepper, epoch: int, *, X_val=None, y_val=None, on_step=None):
    """One epoch of SGD in the seed's batch order for `epoch`; returns (EpochRecord, Params).
    Raises DivergenceError as numpy_softmax.train does: a loss NaN, inf or over loss_limit(C),
    or a parameter not finite."""
    config = stepper.config
    order = epoch_order(stepper.n_train, config, epoch)  # (N,)
    t0 = time.perf_counter()
    losses = stepper.epoch(order, epoch, on_step)
    seconds = time.perf_counter() - t0  # the SGD steps only, evaluation excluded
    params = stepper.params()
    _check_epoch(params, losses, epoch, 0, config.lr, loss_limit(params.W.shape[1]))
    val = None
    if X_val is not None:
        val = float(np.mean(stepper.predict(X_val) == y_val))
    total = 0.0
    for v in losses:  # summed in step order, as the seed's avg_cost += c / total_batch
        total += v
    return EpochRecord(epoch, total / len(losses), val, seconds), params


def train_loop(stepper, *, X_val=None, y_val=None, on_step=None, on_epoch=None) -> TrainResult:
    """config.epochs epochs of run_epoch; on_epoch(record, params) after each."""
    history = []
    params = stepper.params()
    for epoch in range(stepper.config.epochs):
        rec, params = run_epoch(stepper, epoch, X_val=X_val, y_val=y_val, on_step=on_step)
        history.append(rec)
        if on_epoch is not None:
            on_epoch(rec, params)
    return TrainResult(params, tuple(history), stepper.config)
