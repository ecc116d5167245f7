"""The seed's TF1 program, run on TF2 through tf.compat.v1: the one place TF1 graphs are built.

Dimensions: N examples (None in the placeholders: any batch), D features, C classes,
S steps of an epoch, B batch size.

The graph, organised with the name scopes the seed promised:
    data/        X (N, D) and labels placeholders (one-hot Y (N, C), or ids y (N,))
    model/       W (D, C), b (C,) Variables, started from numpy Params fed at init;
                 logits Z = X @ W + b  (N, C)
    loss/        reduce_mean(softmax_cross_entropy_with_logits(Y, Z))
    optimizer/   GradientDescentOptimizer(lr).minimize(loss)  (its gradients are tf.gradients)
    evaluation/  accuracy = mean(argmax Z == argmax Y)
Each graph is a tf.Graph of its own, run by a tf.compat.v1.Session: eager execution stays on
for the rest of the process (tf_softmax.ops and the tf-function steppers need it).

build() makes that graph for one (D, C), or with D and C left open (None) and the learning
rate fed, so one graph serves problems of any shape (the parity properties draw hundreds).
GraphStepper runs it the seed's way, one Session.run per batch; GraphEpochStepper keeps the
data in the graph and runs a whole epoch in one Session.run (a tf.while_loop), to measure.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numpy_softmax import Params, TrainConfig
from numpy_softmax.kernels import onehot
from numpy_softmax.model import check_inputs

from ._tf import tf
from .ops import tensor_cross_entropy, tensor_logits

v1 = tf.compat.v1

FED = "fed"  # build(lr=FED): the learning rate is a placeholder, fed with every step


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
    lr: object          # optimizer/learning_rate: a constant, or a placeholder (lr=FED)
    train_op: object    # optimizer/GradientDescent: one SGD step (None when lr is None)
    prediction: object  # evaluation/prediction (N,) int64
    accuracy: object    # evaluation/accuracy ()
    init: object        # initialise W and b from W_init, b_init


def build(D: int | None, C: int | None, dtype, kind: str = "probs",
          lr: float | str | None = None) -> Model:
    """Build the seed's model in a new tf.Graph; labels are one-hot ("probs", as the seed fed
    them) or class ids ("ids"). D, C = None leave the shapes open. With lr (a number, or FED
    for a placeholder), add the optimizer; the graph is then finalized (no op can be added by
    mistake during training)."""
    graph = tf.Graph()
    dt = tf.as_dtype(np.dtype(dtype))
    fixed = D is not None and C is not None  # else W and b take the shape of what is fed
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
            W = v1.Variable(W_init, validate_shape=fixed, name="W")  # (D, C)
            b = v1.Variable(b_init, validate_shape=fixed, name="b")  # (C,)
            Z = tf.identity(tensor_logits(W, b, X), name="logits")  # (N, C)
            init = v1.variables_initializer([W, b], name="init")
        with tf.name_scope("loss"):
            loss = tf.identity(tensor_cross_entropy(Z, kind, labels),
                               name="mean_cross_entropy")  # ()
        rate = train_op = None
        if lr is not None:
            with tf.name_scope("optimizer"):  # dL/dW, dL/db by tf.gradients, then W -= lr dW
                # lr as a tensor of W's dtype: a bare Python float becomes a float32 tensor
                # first, so float64 training would step with float64(float32(0.01)), 2e-8 off
                rate = (v1.placeholder(dt, shape=(), name="learning_rate") if lr == FED
                        else tf.constant(lr, dtype=dt, name="learning_rate"))
                opt = v1.train.GradientDescentOptimizer(rate)
                train_op = opt.minimize(loss, var_list=[W, b])
        with tf.name_scope("evaluation"):
            prediction = tf.argmax(Z, axis=1, name="prediction")  # (N,) = argmax softmax(Z)
            truth = labels if kind == "ids" else tf.argmax(labels, axis=1)  # (N,)
            hit = tf.cast(tf.equal(prediction, truth), tf.float64)  # float64: exact count
            accuracy = tf.reduce_mean(hit, name="accuracy")
    if lr is not None:
        graph.finalize()
    return Model(graph, X, labels, W_init, b_init, W, b, Z, loss, rate, train_op, prediction,
                 accuracy, init)


def session(model: Model, params: Params):
    """A Session on the model's graph, with W and b set from params (D, C), (C,)."""
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
    with session(m, params) as sess:
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
    """The seed's training loop, as a stepper of numpy_softmax.loop: Session.run([loss,
    optimizer], feed_dict) once per batch, feeding the batch's rows X (B, D) and one-hot
    labels Y (B, C). X (N, D) floats, y (N,) ids as loop.prepare returns them."""

    def __init__(self, X, y, config: TrainConfig, params: Params, *, logdir=None):
        self.X, self.y, self.config, self.n_train = X, y, config, X.shape[0]
        D, C = params.W.shape
        self.Y = onehot(self.y, C, self.X.dtype)  # (N, C) the seed fed one-hot labels
        self.model = build(D, C, self.X.dtype, "probs", lr=config.lr)
        if logdir is not None:
            write_graph(self.model, logdir)
        self.sess = session(self.model, params)

    def step(self, idx) -> float:
        m = self.model  # one Session.run; the loss is the one before the update
        c, _ = self.sess.run([m.loss, m.train_op],
                             feed_dict={m.X: self.X[idx], m.labels: self.Y[idx]})
        return c

    def params(self) -> Params:
        W, b = self.sess.run([self.model.W, self.model.b])
        return Params(W, b)

    def logits(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.X.dtype)
        return self.sess.run(self.model.logits, feed_dict={self.model.X: X})  # (N', C)

    def close(self) -> None:
        self.sess.close()


class GraphEpochStepper:
    """The TF1 graph at its best: X (N, D) and y (N,) live in the graph as Variables, and one
    Session.run runs the S steps of batches (S, B) in a tf.while_loop (gradients by
    tf.gradients, the same model and loss as build's)."""

    def __init__(self, X, y, config: TrainConfig, params: Params):
        self.config, self.n_train = config, X.shape[0]
        dt = tf.as_dtype(X.dtype)
        self.graph = tf.Graph()
        with self.graph.as_default():
            X_in = v1.placeholder(dt, X.shape)
            y_in = v1.placeholder(tf.int64, y.shape)
            W_in = v1.placeholder(dt, params.W.shape)
            b_in = v1.placeholder(dt, params.b.shape)
            Xv = v1.Variable(X_in, trainable=False, name="X")  # (N, D) data in the graph
            yv = v1.Variable(y_in, trainable=False, name="y")  # (N,)
            W = v1.Variable(W_in, name="W")  # (D, C)
            b = v1.Variable(b_in, name="b")  # (C,)
            self.batches = v1.placeholder(tf.int64, (None, None))  # (S, B)
            S = tf.shape(self.batches)[0]
            lr = tf.constant(config.lr, dt)

            def step(s, Wt, bt, losses):
                idx = self.batches[s]  # (B,)
                Xb, yb = tf.gather(Xv, idx), tf.gather(yv, idx)  # (B, D), (B,)
                loss = tensor_cross_entropy(tensor_logits(Wt, bt, Xb), "ids", yb)
                dW, db = tf.gradients(loss, [Wt, bt])  # (D, C), (C,)
                return s + 1, Wt - lr * dW, bt - lr * db, losses.write(s, loss)

            _, Wn, bn, losses = tf.while_loop(
                lambda s, *_: s < S, step,
                (tf.constant(0), W.read_value(), b.read_value(), tf.TensorArray(dt, size=S)))
            with tf.control_dependencies([W.assign(Wn), b.assign(bn)]):
                self.losses = tf.identity(losses.stack())  # (S,)
            self.X = v1.placeholder(dt, (None, X.shape[1]))  # (N', D) rows to score
            self.Z = tensor_logits(W, b, self.X)  # (N', C)
            self.W, self.b = W, b
            init = v1.variables_initializer([Xv, yv, W, b])
        self.graph.finalize()
        self.sess = v1.Session(graph=self.graph)
        self.sess.run(init, feed_dict={X_in: X, y_in: y, W_in: params.W, b_in: params.b})

    def steps(self, batches: np.ndarray) -> np.ndarray:
        return self.sess.run(self.losses, feed_dict={self.batches: batches})  # (S,)

    def step(self, idx) -> float:
        return self.steps(np.asarray(idx)[None])[0]

    def params(self) -> Params:
        return Params(*self.sess.run([self.W, self.b]))

    def logits(self, X) -> np.ndarray:
        return self.sess.run(self.Z, feed_dict={self.X: X})  # (N', C)

    def close(self) -> None:
        self.sess.close()

