"""The training backends by name. Each is `run(X, y, config, *, params=None, X_val=None,
y_val=None, on_step=None, on_epoch=None, logdir=None) -> numpy_softmax.TrainResult`, with the
batch order of numpy_softmax.batches so that all backends see the same minibatches.
TF backends are imported only when asked for, so `train --backend numpy` never loads TF."""
from __future__ import annotations

import importlib

from .errors import UsageError

# name -> "module:function"
BACKENDS = {
    "numpy": "softmax_parity.backends:train_numpy",
    "tf-graph": "tf_softmax.graph:train",
    "tf-function": "tf_softmax.function:train",
}


def train_numpy(X, y, config, *, logdir=None, **kw):
    """numpy_softmax.train with numpy_softmax.fast.fast_epoch (the reference's numbers, bit
    for bit, at the same BLAS thread count) and BLAS on one thread when threadpoolctl is
    installed: this model's per-step GEMMs are too small to gain from a second thread, and on
    a busy machine two threads wait on each other (docs/benchmarks.md, section threads)."""
    from numpy_softmax import train
    from numpy_softmax.fast import fast_epoch
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # then BLAS keeps its default threads
        return train(X, y, config, epoch_fn=fast_epoch, **kw)
    with threadpool_limits(limits=1, user_api="blas"):
        return train(X, y, config, epoch_fn=fast_epoch, **kw)


def get(name: str):
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    mod, fn = BACKENDS[name].split(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except ImportError as e:
        raise UsageError(f"backend {name} needs {e.name}; install the tf extra: "
                         "pip install 'softmax-parity[tf]'") from None
