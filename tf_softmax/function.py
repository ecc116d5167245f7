"""The same training in the TF2 idiom: tf.Variable, tf.function, tf.GradientTape, class ids.

Dimensions: B examples per batch, D features, C classes, S steps of an epoch.

One SGD step, traced once by tf.function into a graph and then called per batch:
    Z = Xb @ W + b                                            (B, C)
    L = mean(sparse_softmax_cross_entropy_with_logits(yb, Z))  ()
    dW, db = tape.gradient(L, [W, b])                         (D, C), (C,)   autodiff
    W -= lr * dW;  b -= lr * db                               plain SGD, as GradientDescentOptimizer
FunctionStepper calls it once per batch; FunctionEpochStepper runs a whole epoch of it inside
one tf.function (optionally compiled by XLA), to measure. The model math is tf_softmax.ops's.
"""
from __future__ import annotations

import numpy as np

from numpy_softmax import Params, TrainConfig

from ._tf import tf
from .ops import tensor_cross_entropy, tensor_logits


class _Model:
    """W (D, C), b (C,) as tf.Variables, the traced SGD step on them, and the logits."""

    def __init__(self, config: TrainConfig, params: Params):
        self.lr = config.lr
        self.W = tf.Variable(params.W, name="W")  # (D, C)
        self.b = tf.Variable(params.b, name="b")  # (C,)
        D = params.W.shape[0]
        self._logits = tf.function(lambda X: tensor_logits(self.W, self.b, X),
                                   input_signature=[tf.TensorSpec((None, D), self.W.dtype)])

    def sgd_step(self, Xb, yb):
        with tf.GradientTape() as tape:  # watches the trainable Variables W and b
            loss = tensor_cross_entropy(tensor_logits(self.W, self.b, Xb), "ids", yb)  # ()
        dW, db = tape.gradient(loss, [self.W, self.b])  # (D, C), (C,)
        self.W.assign_sub(self.lr * dW)  # lr becomes a constant of W's dtype
        self.b.assign_sub(self.lr * db)
        return loss  # the loss before this step's update

    def params(self) -> Params:
        return Params(self.W.numpy(), self.b.numpy())

    def logits(self, X) -> np.ndarray:
        return self._logits(np.asarray(X, dtype=self.W.dtype.as_numpy_dtype)).numpy()

    def close(self) -> None:
        pass  # nothing to release: the Variables go with the object


class FunctionStepper(_Model):
    """A stepper of numpy_softmax.loop: each batch (rows of X (N, D), ids y (N,)) goes
    through one call of the traced step."""

    def __init__(self, X, y, config: TrainConfig, params: Params):
        super().__init__(config, params)
        self.X, self.y, self.config, self.n_train = X, y, config, X.shape[0]
        # a fixed signature: one trace for every batch size, no retracing per call
        self._step = tf.function(self.sgd_step, input_signature=[
            tf.TensorSpec((None, X.shape[1]), tf.as_dtype(X.dtype)),
            tf.TensorSpec((None,), tf.int64)])

    def step(self, idx) -> float:
        return self._step(self.X[idx], self.y[idx])


class FunctionEpochStepper(_Model):
    """The whole epoch inside one tf.function: a tf.range loop (AutoGraph makes it a
    while_loop) over the S rows of batches (S, B), the data captured as constants.
    jit=True hands the loop to XLA (one compile per shape of batches)."""

    def __init__(self, X, y, config: TrainConfig, params: Params, *, jit: bool, data=None):
        super().__init__(config, params)
        self.config, self.n_train = config, X.shape[0]
        self.X, self.y = data if data is not None else (tf.constant(X), tf.constant(y))
        self._run = tf.function(self._epoch, jit_compile=jit, input_signature=[
            tf.TensorSpec((None, None), tf.int64)])

    def _epoch(self, batches):
        S = tf.shape(batches)[0]
        losses = tf.TensorArray(self.W.dtype, size=S)
        for s in tf.range(S):
            idx = batches[s]  # (B,)
            Xb, yb = tf.gather(self.X, idx), tf.gather(self.y, idx)  # (B, D), (B,)
            losses = losses.write(s, self.sgd_step(Xb, yb))
        return losses.stack()  # (S,)

    def steps(self, batches: np.ndarray) -> np.ndarray:
        return self._run(tf.constant(batches)).numpy()  # (S,)

    def step(self, idx) -> float:
        return self.steps(np.asarray(idx)[None])[0]
