"""The training backends by name: which stepper trains, all through numpy_softmax's one loop.

    numpy        numpy_softmax.train: the fast stepper's fast mode on the uint8 pixels, BLAS
                 on one thread (within the compare tolerances of the reference stepper)
    tf-graph     tf_softmax.GraphStepper: the seed's TF1 program, Session.run per batch
    tf-function  tf_softmax.FunctionStepper: TF2, one traced tf.function call per batch
    keras        tf_softmax.KerasStepper: Sequential([Dense(10)]), SparseCategoricalCrossentropy
                 (from_logits=True), SGD; one model.train_on_batch per batch
    tf-distributed  tf_softmax.DistributedStepper: tf.distribute, K replicas (or workers)
                 on K shards of each batch; set_distributed chooses K before TF starts
Every backend starts from numpy_softmax.init_params(seed) and takes each epoch's batches in
numpy_softmax.epoch_order, so all see the same minibatches. TF is imported only when a TF
backend is asked for, so `train --backend numpy` never loads it.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys

from numpy_softmax import loop

from .errors import UsageError

BACKENDS = ("numpy", "tf-graph", "tf-function", "keras", "tf-distributed")
TF_STEPPERS = {"tf-graph": "GraphStepper", "tf-function": "FunctionStepper",
               "keras": "KerasStepper", "tf-distributed": "DistributedStepper"}
# how tf-distributed runs (set_distributed): replicas, workers (TF_CONFIG), mistake
DISTRIBUTED = {"replicas": 1, "workers": False, "mistake": None}


def set_distributed(replicas: int = 1, *, workers: bool = False, mistake=None) -> None:
    """How tf-distributed steps in this process. K replicas need K logical CPU devices, which
    TF can only be given before it starts: unless tf_softmax (which starts TF on import) is
    already loaded, this asks for them (SOFTMAX_PARITY_CPU_DEVICES, read as tf_softmax loads);
    if it is, DistributedStepper refuses a count it does not have. A worker (TF_CONFIG) has one replica of its own."""
    if "tf_softmax" not in sys.modules:
        os.environ["SOFTMAX_PARITY_CPU_DEVICES"] = "1" if workers else str(replicas)
    DISTRIBUTED.update(replicas=replicas, workers=workers, mistake=mistake)


def tf_stepper(name: str, X, y, config, params, *, logdir=None):
    """The TF stepper `name` on inputs checked by numpy_softmax.loop.prepare: X (N, D) floats,
    y (N,) ids, params the start. tf-graph writes its graph to logdir for TensorBoard."""
    try:
        tf_softmax = importlib.import_module("tf_softmax")
    except ImportError as e:
        raise UsageError(f"backend {name} needs {e.name}; install the tf extra: "
                         "pip install 'softmax-parity[tf]'") from None
    cls = getattr(tf_softmax, TF_STEPPERS[name])
    if name == "tf-distributed":
        return cls(X, y, config, params, **DISTRIBUTED)
    return cls(X, y, config, params, logdir=logdir) if name == "tf-graph" else \
        cls(X, y, config, params)


def train(name: str, X, y, config, *, params=None, X_val=None, y_val=None, logdir=None,
          **loop_kw) -> loop.TrainResult:
    """Train with backend `name` from params (default init_params(config.seed)); loop_kw go to
    numpy_softmax.loop.run (on_step, on_epoch, history, resume, should_stop)."""
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name == "numpy":
        from numpy_softmax import train as train_numpy
        return train_numpy(X, y, config, params=params, X_val=X_val, y_val=y_val, **loop_kw)
    X, y, params, X_val, y_val = loop.prepare(X, y, config, params, X_val, y_val)
    stepper = tf_stepper(name, X, y, config, params, logdir=logdir)
    try:
        return loop.run(stepper, X_val=X_val, y_val=y_val, **loop_kw)
    finally:
        stepper.close()


def get(name: str):
    """The train function of backend `name`: get(name)(X, y, config, **kw) is
    train(name, X, y, config, **kw). Refuses an unknown name, or a TF backend without TF,
    before any data is loaded."""
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name in TF_STEPPERS and importlib.util.find_spec("tensorflow") is None:
        raise UsageError(f"backend {name} needs tensorflow; install the tf extra: "
                         "pip install 'softmax-parity[tf]'")
    return functools.partial(train, name)
