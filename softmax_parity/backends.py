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
    from numpy_softmax import train
    return train(X, y, config, **kw)


def get(name: str):
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    mod, fn = BACKENDS[name].split(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except ImportError as e:
        raise UsageError(f"backend {name} needs {e.name}; install the tf extra: "
                         "pip install 'softmax-parity[tf]'") from None
