"""TF's own SGD for the parity properties: the seed's GradientDescentOptimizer in a
tf.compat.v1 graph, built once per (dtype, label kind) with its shapes left open.

Dimensions: B examples per batch, D features, C classes (all fed, none fixed in the graph).

tf_softmax.graph builds the seed's graph for one (D, C, lr), which costs ~0.2 s per build with
its optimizer and session: too slow for hundreds of drawn shapes. Here W and b are Variables
of open shape (validate_shape=False) initialised from placeholders, and lr is a placeholder
too, so every example only feeds the graph. The update is the same op the seed ran:
GradientDescentOptimizer(lr).minimize(mean cross-entropy), i.e. tf.gradients then
W -= lr * dW, b -= lr * db by TF's ApplyGradientDescent kernel.
"""
from __future__ import annotations

import functools

import numpy as np

from tf_softmax._tf import tf

v1 = tf.compat.v1


@functools.lru_cache(maxsize=None)
def _graph(dtype_name: str, kind: str):
    dt = tf.as_dtype(np.dtype(dtype_name))
    g = tf.Graph()
    with g.as_default():
        X = v1.placeholder(dt, shape=(None, None), name="X")  # (B, D)
        if kind == "ids":
            labels = v1.placeholder(tf.int64, shape=(None,), name="y")  # (B,)
        else:
            labels = v1.placeholder(dt, shape=(None, None), name="Y")  # (B, C)
        W_init = v1.placeholder(dt, shape=(None, None), name="W_init")  # (D, C)
        b_init = v1.placeholder(dt, shape=(None,), name="b_init")  # (C,)
        lr = v1.placeholder(dt, shape=(), name="lr")  # in W's dtype, as the optimizer casts it
        W = v1.Variable(W_init, validate_shape=False, name="W")
        b = v1.Variable(b_init, validate_shape=False, name="b")
        Z = tf.matmul(X, W) + b  # (B, C)
        if kind == "ids":
            per_row = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=Z)
        else:
            per_row = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=Z)
        loss = tf.reduce_mean(per_row)  # ()
        step = v1.train.GradientDescentOptimizer(lr).minimize(loss, var_list=[W, b])
        init = v1.variables_initializer([W, b])
    g.finalize()
    sess = v1.Session(graph=g)  # one per graph, kept for the whole test session
    return sess, dict(X=X, labels=labels, W_init=W_init, b_init=b_init, lr=lr, W=W, b=b,
                      step=step, init=init)


def sgd(W0: np.ndarray, b0: np.ndarray, batches, lr: float):
    """Run GradientDescentOptimizer(lr) from (W0 (D, C), b0 (C,)) over `batches`, a list of
    (X (B, D), labels (B,) ids or (B, C) rows); returns (W, b) as NumPy arrays."""
    kind = "ids" if np.ndim(batches[0][1]) == 1 else "probs"
    sess, t = _graph(np.dtype(W0.dtype).name, kind)
    sess.run(t["init"], feed_dict={t["W_init"]: W0, t["b_init"]: b0})
    for Xb, yb in batches:
        sess.run(t["step"], feed_dict={t["X"]: Xb, t["labels"]: yb, t["lr"]: lr})
    return sess.run([t["W"], t["b"]])
