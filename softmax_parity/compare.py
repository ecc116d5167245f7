"""NumPy and TensorFlow trained in lockstep, and how far apart they drift.

Lockstep: every backend starts from the same Params (numpy_softmax.init_params) and takes each
epoch's batches in the same order (numpy_softmax.epoch_order, a pure function of seed and
epoch). The epochs are interleaved, NumPy's epoch e, then each TF backend's epoch e, so the
divergence is measured after every epoch without keeping all parameters around.

Dimensions: D features, C classes.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from numpy_softmax import Params, ReferenceStepper, TrainConfig, loop
from numpy_softmax.tolerances import COMPARE, COMPARE_NAMES, FIRST_STEP_RATIO, Tolerances

from . import backends, tensorboard
from .errors import UsageError

TF_BACKENDS = tuple(backends.TF_STEPPERS)


@dataclass(frozen=True)
class Divergence:
    """How far one TF backend is from NumPy after one epoch."""

    epoch: int
    loss_rel: float   # |L_numpy - L_tf| / |L_numpy|, the epoch's mean losses
    W_max_abs: float  # max |W_numpy - W_tf|  over the (D, C) entries
    W_max_rel: float  # W_max_abs / max |W_numpy|
    b_max_abs: float  # max |b_numpy - b_tf|  over the (C,) entries


@dataclass(frozen=True)
class Check:
    name: str      # a field of Tolerances
    value: float
    limit: float
    ok: bool


@dataclass
class CompareResult:
    config: TrainConfig
    backends: tuple                                  # ("numpy", tf name, ...)
    history: dict = field(default_factory=dict)      # name -> [EpochRecord]
    divergence: dict = field(default_factory=dict)   # tf name -> [Divergence]
    params: dict = field(default_factory=dict)       # name -> final Params
    predictions: dict = field(default_factory=dict)  # name -> (N_test,) int argmax
    test_accuracy: dict = field(default_factory=dict)
    total_seconds: float = 0.0
    first_update: dict = field(default_factory=dict)  # name -> ||W1 - W0||, the first step's

    def differing(self, tf_name: str) -> int:
        """How many test predictions of tf_name differ from NumPy's."""
        return int(np.sum(self.predictions["numpy"] != self.predictions[tf_name]))


def divergence(epoch: int, rec_np, rec_tf, p_np: Params, p_tf: Params) -> Divergence:
    dW = np.abs(p_np.W.astype(np.float64) - p_tf.W)  # (D, C), in float64: no rounding here
    W_abs = float(dW.max())
    return Divergence(
        epoch=epoch,
        loss_rel=abs(rec_np.loss - rec_tf.loss) / abs(rec_np.loss),
        W_max_abs=W_abs,
        W_max_rel=W_abs / float(np.abs(p_np.W).max()),
        b_max_abs=float(np.abs(p_np.b.astype(np.float64) - p_tf.b).max()))


def lockstep(data, config: TrainConfig, tf_backends=("tf-graph",), *, logdir=None,
             on_step=None, on_epoch=None) -> CompareResult:
    """Train NumPy and each of tf_backends on data.train in lockstep, score each on
    data.validation every epoch and on data.test at the end.

    on_step(name, epoch, step, n_steps) reports progress; on_epoch(epoch, records, divs) gets
    {name: EpochRecord} and {tf name: Divergence} after every epoch. With logdir, each backend
    writes its scalars to logdir/<name> (tensorboard.run_dir), the TF ones with the
    divergence, and tf-graph its graph. Raises DivergenceError if any backend diverges.
    """
    for name in tf_backends:
        if name not in TF_BACKENDS:
            raise ValueError(f"unknown TF backend {name!r}")
    X, y, params, X_val, y_val = loop.prepare(data.train.images, data.train.labels, config,
                                         None, data.validation.images, data.validation.labels)
    names = ("numpy",) + tuple(tf_backends)
    result = CompareResult(config, names)
    writers = {}
    steppers = {}
    t0 = time.perf_counter()
    try:
        if logdir is not None:
            writers = {n: tensorboard.ScalarWriter(tensorboard.run_dir(logdir, n)) for n in names}
        steppers["numpy"] = ReferenceStepper(X, y, config, params)  # the readable step
        for n in tf_backends:
            steppers[n] = backends.tf_stepper(n, X, y, config, params, logdir=(
                tensorboard.run_dir(logdir, n) if logdir else None))
        for n in names:
            result.history[n] = []
        for n in tf_backends:
            result.divergence[n] = []
        for epoch in range(config.epochs):
            records, state = {}, {}
            for n in names:
                step_fn = None if on_step is None else \
                    (lambda e, s, k, n=n: on_step(n, e, s, k))
                if epoch == 0:  # the size of the first update, W1 - W0 (update_ratio)
                    step_fn = _first_update(result, n, steppers[n], params.W, step_fn)
                records[n], state[n], _ = loop.run_epoch(steppers[n], epoch, X_val=X_val,
                                                         y_val=y_val, on_step=step_fn)
                result.history[n].append(records[n])
            divs = {n: divergence(epoch, records["numpy"], records[n], state["numpy"], state[n])
                    for n in tf_backends}
            for n in tf_backends:
                result.divergence[n].append(divs[n])
            for n, w in writers.items():
                scalars = tensorboard.epoch_scalars(records[n])
                if n in divs:
                    scalars.update(tensorboard.divergence_scalars(divs[n]))
                w.scalars(epoch, scalars)
            if on_epoch is not None:
                on_epoch(epoch, records, divs)
        result.total_seconds = time.perf_counter() - t0
        X_test = data.test.images.astype(X.dtype, copy=False)  # (N_test, D)
        for n in names:
            result.params[n] = steppers[n].params()
            Z = steppers[n].logits(X_test)  # (N_test, C), by the backend's own arithmetic
            result.predictions[n] = np.argmax(Z, axis=1).astype(np.int64)
            result.test_accuracy[n] = float(np.mean(result.predictions[n] == data.test.labels))
    finally:
        for s in steppers.values():
            if hasattr(s, "close"):
                s.close()
        for w in writers.values():
            w.close()
    return result


def _first_update(result, name, stepper, W0, then):
    """An on_step that records ||W1 - W0|| after step 0 in result.first_update[name]."""
    def on_step(epoch, step, n_steps):
        if step == 0:
            W1 = stepper.params().W.astype(np.float64)  # (D, C)
            result.first_update[name] = float(np.linalg.norm(W1 - W0))
        if then is not None:
            then(epoch, step, n_steps)
    return on_step


def update_ratio(result: CompareResult, tf_name: str) -> float:
    """The first step's update of tf_name over NumPy's, ||W1_tf - W0|| / ||W1_np - W0||: 1 when
    both take the same SGD step; K when each of K replicas averages over its own shard."""
    return result.first_update[tf_name] / result.first_update["numpy"]


def ratio_check(result: CompareResult, tf_name: str) -> Check:
    """|update_ratio - 1| against FIRST_STEP_RATIO (numpy_softmax.tolerances says why)."""
    err = abs(update_ratio(result, tf_name) - 1)
    return Check("first_step_ratio", err, FIRST_STEP_RATIO, err <= FIRST_STEP_RATIO)


def verdict(result: CompareResult, tf_name: str, tol: Tolerances) -> list[Check]:
    """The checks of one TF backend against NumPy, each against its tolerance."""
    divs = result.divergence[tf_name]
    p_np, p_tf = result.params["numpy"], result.params[tf_name]
    W_abs = float(np.abs(p_np.W.astype(np.float64) - p_tf.W).max())
    W_rel = W_abs / float(np.abs(p_np.W).max())
    n_test = result.predictions["numpy"].shape[0]
    correct = {n: round(result.test_accuracy[n] * n_test) for n in ("numpy", tf_name)}
    acc = abs(correct["numpy"] - correct[tf_name]) / n_test  # from counts: no float residue
    checks = [
        ("loss_rel", max((d.loss_rel for d in divs), default=0.0), tol.loss_rel),
        ("W_rel", W_rel, tol.W_rel),
    ]
    if tol.W_abs is not None:
        checks.append(("W_abs", W_abs, tol.W_abs))
    checks += [("test_accuracy", acc, tol.test_accuracy),
               ("test_predictions", result.differing(tf_name), tol.test_predictions)]
    # 1e-9 relative slack only so that 2/10000 <= 0.0002 holds despite binary fractions
    return [Check(name, value, limit, value <= limit * (1 + 1e-9)) for name, value, limit in checks]


def tolerances(dtype: str, overrides: dict[str, str] | None = None) -> Tolerances:
    """The compare tolerances of `dtype`, with NAME=VALUE overrides (strings, from --tol)."""
    changes = {}
    for name, text in (overrides or {}).items():
        if name not in COMPARE_NAMES:
            raise UsageError(f"unknown tolerance {name!r}; choose one of "
                             f"{', '.join(COMPARE_NAMES)}")
        try:
            value = int(text) if name == "test_predictions" else float(text)
        except ValueError:
            raise UsageError(f"tolerance {name} needs a number, got {text!r}") from None
        if not value >= 0:
            raise UsageError(f"tolerance {name} must be >= 0, got {text!r}")
        changes[name] = value
    return dataclasses.replace(COMPARE[dtype], **changes)
