"""The seed's TF1 program, run on TF2 through tf.compat.v1, in a graph of its own.

Dimensions: N examples (None in the placeholders: any batch), D features, C classes.

The graph, organised with the name scopes the seed promised:
    data/        X (N, D) and labels placeholders (one-hot Y (N, C), or ids y (N,))
    model/       W (D, C), b (C,) Variables, started from numpy Params fed at init;
                 logits Z = X @ W + b  (N, C)
    loss/        reduce_mean(softmax_cross_entropy_with_logits(Y, Z))
    optimizer/   GradientDescentOptimizer(lr).minimize(loss)  (its gradients are tf.gradients)
    evaluation/  accuracy = mean(argmax Z == argmax Y)
Each graph is a tf.Graph of its own, run by a tf.compat.v1.Session: eager execution stays on
for the rest of the process (tf_softmax.ops and the tf-function backend need it).
"""
from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from numpy_softmax import DivergenceError, EpochRecord, Params, TrainResult
from numpy_softmax.model import check_inputs
from numpy_softmax.ops import _onehot
from numpy_softmax.train import epoch_order, prepare, steps_per_epoch

from ._tf import tf

v1 = tf.compat.v1


class Model(NamedTuple):
    """The tensors and ops of one built graph."""

    graph: object
    X: object          # data/X placeholder (N, D)
    labels: object     # data/Y placeholder (N, C) one-hot, or data/y (N,) ids
    W_init: object     # model/W_init placeholder (D, C): numpy's initial W
    b_init: object     # model/b_init placeholder (C,)
    W: object          # model/W Variable (D, C)
    b: object          # model/b Variable (C,)
    logits: object     # model/logits (N, C)
    loss: object       # loss/mean_cross_entropy ()
    init: object       # initialise W and b from W_init, b_init


def build(D: int, C: int, dtype, kind: str = "probs") -> Model:
    """Build the seed's model in a new tf.Graph; labels are one-hot ("probs") or ids ("ids")."""
    graph = tf.Graph()
    dt = tf.as_dtype(np.dtype(dtype))
    with graph.as_default():
        with tf.name_scope("data"):
            X = v1.placeholder(dt, shape=(None, D), name="X")  # (N, D)
            if kind == "ids":
                labels = v1.placeholder(tf.int64, shape=(None,), name="y")  # (N,)
            else:
                labels = v1.placeholder(dt, shape=(None, C), name="Y")  # (N, C)
        with tf.name_scope("model"):
            W_init = v1.placeholder(dt, shape=(D, C), name="W_init")
            b_init = v1.placeholder(dt, shape=(C,), name="b_init")
            W = v1.Variable(W_init, name="W")  # (D, C)
            b = v1.Variable(b_init, name="b")  # (C,)
            Z = tf.add(tf.matmul(X, W), b, name="logits")  # (N, C)
        with tf.name_scope("loss"):
            if kind == "ids":
                per_row = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=Z)
            else:
                per_row = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=Z)
            loss = tf.reduce_mean(per_row, name="mean_cross_entropy")  # ()
        init = v1.variables_initializer([W, b], name="init")
    return Model(graph, X, labels, W_init, b_init, W, b, Z, loss, init)


def _session(model: Model, params: Params):
    sess = v1.Session(graph=model.graph)
    sess.run(model.init, feed_dict={model.W_init: params.W, model.b_init: params.b})
    return sess


def graph_loss_and_grads(params: Params, X, labels) -> tuple:
    """Mean cross-entropy and (dL/dW (D, C), dL/db (C,)) computed by tf.gradients in a
    tf.compat.v1 graph (graph-mode autodiff, the TF1 way). Same contract as
    numpy_softmax.loss_and_grads: returns (loss, Params(dW, db)) in W's dtype."""
    params, X, kind, y = check_inputs(params, X, labels)
    D, C = params.W.shape
    m = build(D, C, params.W.dtype, kind)
    with m.graph.as_default():
        dW, db = tf.gradients(m.loss, [m.W, m.b])
    with _session(m, params) as sess:
        loss, gW, gb = sess.run([m.loss, dW, db], feed_dict={m.X: X, m.labels: y})
    return loss, Params(np.asarray(gW), np.asarray(gb))
