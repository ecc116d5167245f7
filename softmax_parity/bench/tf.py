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
    keras-fit              Keras as a user writes it: one model.fit per epoch over a tf.data
                           pipeline of the epoch's batches (tf_softmax.keras.KerasFitStepper)
The steppers are tf_softmax's; the whole-epoch ones exist to be measured, not to be used.
"""
from __future__ import annotations

import numpy as np

from numpy_softmax import Params
from tf_softmax import (FunctionEpochStepper, FunctionStepper, GraphEpochStepper, GraphStepper,
                        KerasFitStepper, tf)
from tf_softmax.ops import tensor_cross_entropy, tensor_logits


def make(name: str, X, y, config, params: Params, shared: dict):
    """The TF contender `name` over float rows X (N, D) and ids y (N,). `shared` caches the
    data as TF constants across contenders (one copy, not one per contender)."""
    if name == "tf-graph-seed":
        return GraphStepper(X, y, config, params)
    if name == "tf-function-step":
        return FunctionStepper(X, y, config, params)
    if name == "tf-graph-best":
        return GraphEpochStepper(X, y, config, params)
    if name in ("tf-function-epoch", "tf-function-epoch-xla"):
        if "data" not in shared:
            shared["data"] = (tf.constant(X), tf.constant(y))
        return FunctionEpochStepper(X, y, config, params, jit=name.endswith("xla"),
                                    data=shared["data"])
    if name == "keras-fit":
        return KerasFitStepper(X, y, config, params)
    raise KeyError(name)


def op_callables(params: Params, Xb: np.ndarray, yb: np.ndarray, lr: float) -> dict:
    """{mode: {op: zero-argument callable}} for TF eager and tf.function at one batch
    Xb (B, D), yb (B,): logits, softmax, cross-entropy, gradients, one SGD step."""
    X, y = tf.constant(Xb), tf.constant(yb)
    W, b = tf.Variable(params.W), tf.Variable(params.b)
    Z = tensor_logits(W, b, X)

    def grads(X, y):
        with tf.GradientTape() as tape:
            loss = tensor_cross_entropy(tensor_logits(W, b, X), "ids", y)
        return tape.gradient(loss, [W, b])

    def sgd_step(X, y):
        dW, db = grads(X, y)
        W.assign_sub(lr * dW)
        b.assign_sub(lr * db)

    ops = {"logits": (lambda X: tensor_logits(W, b, X), (X,)),
           "softmax": (tf.nn.softmax, (Z,)),
           "cross-entropy": (lambda Z, y: tensor_cross_entropy(Z, "ids", y), (Z, y)),
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
