"""The TensorFlow contenders of `softmax-parity bench`, and TF's per-op timings.

Dimensions: N training rows, D features, C classes, B batch size, S steps per epoch.

Every contender trains from the same Params in the same batch order (numpy_softmax.epoch_order)
and returns each epoch's step losses, so its final loss can be checked against NumPy's:
    tf-graph-seed          the seed's loop: Session.run([loss, train_op], feed_dict) per batch
                           (tf_softmax.graph.GraphStepper)
    tf-graph-best          data kept in the graph (Variables), the whole epoch one Session.run
                           of a tf.while_loop; the epoch's order is the only thing fed
    tf-function-step       tf.function per SGD step (tf_softmax.function.FunctionStepper)
    tf-function-epoch      the whole epoch in one tf.function (a tf.range loop), data captured
    tf-function-epoch-xla  the same with jit_compile=True (XLA)
The last three are written here: they exist to be measured, not to be used.
"""
from __future__ import annotations

import numpy as np

from tf_softmax._tf import tf
from tf_softmax.function import FunctionStepper
from tf_softmax.graph import GraphStepper
from tf_softmax.ops import _cross_entropy, _logits

from numpy_softmax import Params
from numpy_softmax.train import steps_per_epoch

v1 = tf.compat.v1


class StepperContender:
    """A tf_softmax stepper (graph or function) as a contender."""

    def __init__(self, stepper):
        self.stepper = stepper

    def epoch(self, order: np.ndarray, epoch: int) -> list:
        losses, _ = self.stepper.epoch(order, epoch, None)
        return losses

    def close(self) -> None:
        self.stepper.close()


def _batches(order: np.ndarray, B: int, config) -> np.ndarray:
    """The epoch's full batches as rows of indices (S, B)."""
    S = steps_per_epoch(order.shape[0], config)
    return np.ascontiguousarray(order[:S * B].reshape(S, B))


class GraphEpoch:
    """tf-graph at its best: X (N, D) and y (N,) live in the graph as Variables, one
    Session.run per epoch runs S steps in a tf.while_loop (gradients by tf.gradients)."""

    def __init__(self, X, y, config, params: Params):
        self.config = config
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
            self.batches = v1.placeholder(tf.int64, (None, config.batch_size))  # (S, B)
            S = tf.shape(self.batches)[0]
            lr = tf.constant(config.lr, dt)

            def step(s, Wt, bt, losses):
                idx = self.batches[s]  # (B,)
                Xb, yb = tf.gather(Xv, idx), tf.gather(yv, idx)  # (B, D), (B,)
                loss = _cross_entropy(_logits(Wt, bt, Xb), "ids", yb)
                dW, db = tf.gradients(loss, [Wt, bt])  # (D, C), (C,)
                return s + 1, Wt - lr * dW, bt - lr * db, losses.write(s, loss)

            _, Wn, bn, losses = tf.while_loop(
                lambda s, *_: s < S, step,
                (tf.constant(0), W.read_value(), b.read_value(), tf.TensorArray(dt, size=S)))
            with tf.control_dependencies([W.assign(Wn), b.assign(bn)]):
                self.losses = tf.identity(losses.stack())  # (S,)
            init = v1.variables_initializer([Xv, yv, W, b])
        self.graph.finalize()
        self.sess = v1.Session(graph=self.graph)
        self.sess.run(init, feed_dict={X_in: X, y_in: y, W_in: params.W, b_in: params.b})

    def epoch(self, order: np.ndarray, epoch: int) -> list:
        batches = _batches(order, self.config.batch_size, self.config)
        return self.sess.run(self.losses, feed_dict={self.batches: batches}).tolist()

    def close(self) -> None:
        self.sess.close()


class FunctionEpoch:
    """The whole epoch inside one tf.function: a tf.range loop (AutoGraph makes it a
    while_loop) over S steps, GradientTape, Variables updated in place; X, y captured as
    constants. jit_compile=True hands the loop to XLA (one compile per epoch shape)."""

    def __init__(self, X, y, config, params: Params, *, jit: bool, data=None):
        self.config = config
        self.X, self.y = data if data is not None else (tf.constant(X), tf.constant(y))
        self.W = tf.Variable(params.W)  # (D, C)
        self.b = tf.Variable(params.b)  # (C,)
        self._run = tf.function(self._epoch, jit_compile=jit, input_signature=[
            tf.TensorSpec((None, config.batch_size), tf.int64)])

    def _epoch(self, batches):
        S = tf.shape(batches)[0]
        losses = tf.TensorArray(self.W.dtype, size=S)
        for s in tf.range(S):
            idx = batches[s]  # (B,)
            Xb, yb = tf.gather(self.X, idx), tf.gather(self.y, idx)  # (B, D), (B,)
            with tf.GradientTape() as tape:
                loss = _cross_entropy(_logits(self.W, self.b, Xb), "ids", yb)
            dW, db = tape.gradient(loss, [self.W, self.b])  # (D, C), (C,)
            self.W.assign_sub(self.config.lr * dW)
            self.b.assign_sub(self.config.lr * db)
            losses = losses.write(s, loss)
        return losses.stack()  # (S,)

    def epoch(self, order: np.ndarray, epoch: int) -> list:
        batches = _batches(order, self.config.batch_size, self.config)
        return self._run(tf.constant(batches)).numpy().tolist()

    def close(self) -> None:
        pass


def make(name: str, X, y, config, params: Params, shared: dict):
    """The TF contender `name` over float rows X (N, D) and ids y (N,). `shared` caches the
    data as TF constants across contenders (one copy, not one per contender)."""
    if name == "tf-graph-seed":
        return StepperContender(GraphStepper(X, y, config, params=params))
    if name == "tf-function-step":
        return StepperContender(FunctionStepper(X, y, config, params=params))
    if name == "tf-graph-best":
        return GraphEpoch(X, y, config, params)
    if name in ("tf-function-epoch", "tf-function-epoch-xla"):
        if "data" not in shared:
            shared["data"] = (tf.constant(X), tf.constant(y))
        return FunctionEpoch(X, y, config, params, jit=name.endswith("xla"),
                             data=shared["data"])
    raise KeyError(name)


def op_callables(params: Params, Xb: np.ndarray, yb: np.ndarray, lr: float) -> dict:
    """{mode: {op: zero-argument callable}} for TF eager and tf.function at one batch
    Xb (B, D), yb (B,): logits, softmax, cross-entropy, gradients, one SGD step."""
    X, y = tf.constant(Xb), tf.constant(yb)
    W, b = tf.Variable(params.W), tf.Variable(params.b)
    Z = _logits(W, b, X)

    def grads(X, y):
        with tf.GradientTape() as tape:
            loss = _cross_entropy(_logits(W, b, X), "ids", y)
        return tape.gradient(loss, [W, b])

    def sgd_step(X, y):
        dW, db = grads(X, y)
        W.assign_sub(lr * dW)
        b.assign_sub(lr * db)

    ops = {"logits": (lambda X: _logits(W, b, X), (X,)),
           "softmax": (tf.nn.softmax, (Z,)),
           "cross-entropy": (lambda Z, y: _cross_entropy(Z, "ids", y), (Z, y)),
           "gradients": (grads, (X, y)),
           "sgd step": (sgd_step, (X, y))}
    out = {"tf eager": {}, "tf.function": {}}
    for op, (f, args) in ops.items():
        tff = tf.function(f)
        tff(*args)  # trace once, outside the timing
        out["tf eager"][op] = (lambda f=f, args=args: f(*args))
        out["tf.function"][op] = (lambda g=tff, args=args: g(*args))
    return out


def threads() -> dict:
    """TF's thread pools as configured (0 = TF picks: one per core)."""
    return {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}
