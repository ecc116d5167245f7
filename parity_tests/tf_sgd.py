"""TF's own SGD for the parity properties: the seed's GradientDescentOptimizer in the one TF1
graph builder (tf_softmax.graph.build), with D and C left open and the learning rate fed, so
one graph per (dtype, label kind) serves every drawn shape.

Dimensions: B examples per batch, D features, C classes (all fed, none fixed in the graph).
The update is the op the seed ran: GradientDescentOptimizer(lr).minimize(mean cross-entropy),
i.e. tf.gradients then W -= lr * dW, b -= lr * db by TF's ApplyGradientDescent kernel.
"""
from __future__ import annotations

import functools

import numpy as np

from tf_softmax import graph


@functools.lru_cache(maxsize=None)
def _model(dtype_name: str, kind: str):
    m = graph.build(None, None, dtype_name, kind, lr=graph.FED)
    return m, graph.tf.compat.v1.Session(graph=m.graph)  # kept for the whole test session


def sgd(W0: np.ndarray, b0: np.ndarray, batches, lr: float):
    """Run GradientDescentOptimizer(lr) from (W0 (D, C), b0 (C,)) over `batches`, a list of
    (X (B, D), labels (B,) ids or (B, C) rows); returns (W, b) as NumPy arrays."""
    kind = "ids" if np.ndim(batches[0][1]) == 1 else "probs"
    m, sess = _model(np.dtype(W0.dtype).name, kind)
    sess.run(m.init, feed_dict={m.W_init: W0, m.b_init: b0})
    for Xb, yb in batches:
        sess.run(m.train_op, feed_dict={m.X: Xb, m.labels: yb, m.lr: lr})
    return sess.run([m.W, m.b])
