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

from typing import NamedTuple

import numpy as np

from numpy_softmax import Params, TrainConfig, TrainResult
from numpy_softmax.model import check_inputs
from numpy_softmax.kernels import onehot
from numpy_softmax.train import prepare

from .loop import step_loop, train_loop
from ._tf import tf

v1 = tf.compat.v1


class Model(NamedTuple):
    """The tensors and ops of one built graph."""

    graph: object
    X: object           # data/X placeholder (N, D)
    labels: object      # data/Y placeholder (N, C) one-hot, or data/y (N,) ids
    W_init: object      # model/W_init placeholder (D, C): the initial W, from numpy
    b_init: object      # model/b_init placeholder (C,)
    W: object           # model/W Variable (D, C)
    b: object           # model/b Variable (C,)
    logits: object      # model/logits (N, C)
    loss: object        # loss/mean_cross_entropy ()
    train_op: object    # optimizer/GradientDescent: one SGD step (None when lr is None)
    prediction: object  # evaluation/prediction (N,) int64
    accuracy: object    # evaluation/accuracy ()
    init: object        # initialise W and b from W_init, b_init


def build(D: int, C: int, dtype, kind: str = "probs", lr: float | None = None) -> Model:
    """Build the seed's model in a new tf.Graph; labels are one-hot ("probs", as the seed fed
    them) or class ids ("ids"). With lr, add the optimizer; the graph is then finalized (no op
    can be added by mistake during training)."""
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
            init = v1.variables_initializer([W, b], name="init")
        with tf.name_scope("loss"):
            if kind == "ids":
                per_row = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=Z)
            else:
                per_row = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=Z)
            loss = tf.reduce_mean(per_row, name="mean_cross_entropy")  # ()
        train_op = None
        if lr is not None:
            with tf.name_scope("optimizer"):  # dL/dW, dL/db by tf.gradients, then W -= lr dW
                # lr as a tensor of W's dtype: a bare Python float becomes a float32 tensor
                # first, so float64 training would step with float64(float32(0.01)), 2e-8 off
                rate = tf.constant(lr, dtype=dt, name="learning_rate")
                opt = v1.train.GradientDescentOptimizer(rate)
                train_op = opt.minimize(loss, var_list=[W, b])
        with tf.name_scope("evaluation"):
            prediction = tf.argmax(Z, axis=1, name="prediction")  # (N,) = argmax softmax(Z)
            truth = labels if kind == "ids" else tf.argmax(labels, axis=1)  # (N,)
            hit = tf.cast(tf.equal(prediction, truth), tf.float64)  # float64: exact count
            accuracy = tf.reduce_mean(hit, name="accuracy")
    if lr is not None:
        graph.finalize()
    return Model(graph, X, labels, W_init, b_init, W, b, Z, loss, train_op, prediction,
                 accuracy, init)


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


def write_graph(model: Model, logdir) -> None:
    """Write the graph for TensorBoard's Graphs tab, as the seed did with
    tf.summary.FileWriter(logdir, sess.graph). A v1 FileWriter refuses to run eagerly, so it
    is made inside this graph's context."""
    with model.graph.as_default():
        writer = v1.summary.FileWriter(logdir, model.graph)
        writer.close()


class GraphStepper:
    """The seed's training loop: Session.run([loss, optimizer], feed_dict) once per batch,
    feeding the batch's rows X (B, D) and one-hot labels Y (B, C)."""

    def __init__(self, X, y, config: TrainConfig, *, params: Params | None = None,
                 logdir=None):
        self.X, self.y, p, _, _ = prepare(X, y, config, params)
        self.config, self.n_train = config, self.X.shape[0]
        D, C = p.W.shape
        self.n_classes = C
        self.Y = onehot(self.y, C, self.X.dtype)  # (N, C) the seed fed one-hot labels
        self.model = build(D, C, self.X.dtype, "probs", lr=config.lr)
        if logdir is not None:
            write_graph(self.model, logdir)
        self.sess = _session(self.model, p)

    def epoch(self, order, epoch: int, on_step=None, first_step: int = 0,
              should_stop=None) -> tuple:
        m = self.model

        def step(idx):  # idx (B,): one Session.run; the loss is the one before the update
            c, _ = self.sess.run([m.loss, m.train_op],
                                 feed_dict={m.X: self.X[idx], m.labels: self.Y[idx]})
            return c
        return step_loop(step, order, self.config, self.n_classes, epoch, on_step, first_step,
                         should_stop)

    def params(self) -> Params:
        W, b = self.sess.run([self.model.W, self.model.b])
        return Params(W, b)

    def predict(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.X.dtype)
        return self.sess.run(self.model.prediction, feed_dict={self.model.X: X})

    def close(self) -> None:
        self.sess.close()


def train(X, y, config: TrainConfig = TrainConfig(), *, params: Params | None = None,
          X_val=None, y_val=None, on_step=None, on_epoch=None, logdir=None, history=(),
          resume=None, should_stop=None) -> TrainResult:
    """Train with the seed's TF1 program (tf.compat.v1 graph, Session, feed_dict), starting
    from `params` (default numpy_softmax.init_params with the config's seed) and taking each
    epoch's batches in numpy_softmax.epoch_order: the same minibatches as the NumPy reference.
    With logdir, the graph is written there for TensorBoard. Returns a numpy_softmax.TrainResult;
    raises DivergenceError as numpy_softmax.train does (NaN, inf or runaway loss).
    history, resume=Position and should_stop continue and stop a run as numpy_softmax.train
    does (a TF run resumes from the saved W and b)."""
    X, y, params, X_val, y_val = prepare(X, y, config, params, X_val, y_val)
    stepper = GraphStepper(X, y, config, params=params, logdir=logdir)
    try:
        return train_loop(stepper, X_val=X_val, y_val=y_val, on_step=on_step,
                          on_epoch=on_epoch, history=history, resume=resume,
                          should_stop=should_stop)
    finally:
        stepper.close()
