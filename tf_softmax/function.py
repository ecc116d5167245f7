"""The same training in the TF2 idiom: tf.Variable, tf.function, tf.GradientTape, class ids.

Dimensions: B examples per batch, D features, C classes.

One SGD step, traced once by tf.function into a graph and then called per batch:
    Z = Xb @ W + b                                            (B, C)
    L = mean(sparse_softmax_cross_entropy_with_logits(yb, Z))  ()
    dW, db = tape.gradient(L, [W, b])                         (D, C), (C,)   autodiff
    W -= lr * dW;  b -= lr * db                               plain SGD, as GradientDescentOptimizer
The model math is tf_softmax.ops's (one definition of the loss for eager, function and tests).
"""
from __future__ import annotations

import numpy as np

from numpy_softmax import Params, TrainConfig, TrainResult
from numpy_softmax.train import prepare

from .loop import step_loop, train_loop
from ._tf import tf
from .ops import _cross_entropy, _logits


class FunctionStepper:
    """Holds W, b as tf.Variables; each batch (rows of X (B, D), ids y (B,)) goes through one
    call of the traced step."""

    def __init__(self, X, y, config: TrainConfig, *, params: Params | None = None):
        self.X, self.y, p, _, _ = prepare(X, y, config, params)
        self.config, self.n_train = config, self.X.shape[0]
        D, C = p.W.shape
        self.n_classes = C
        dt = tf.as_dtype(self.X.dtype)
        self.W = tf.Variable(p.W, name="W")  # (D, C)
        self.b = tf.Variable(p.b, name="b")  # (C,)
        # fixed signatures: one trace for every batch size, no retracing per call
        self._step = tf.function(self._sgd_step, input_signature=[
            tf.TensorSpec((None, D), dt), tf.TensorSpec((None,), tf.int64)])
        self._predict = tf.function(self._argmax, input_signature=[
            tf.TensorSpec((None, D), dt)])

    def _sgd_step(self, Xb, yb):
        with tf.GradientTape() as tape:  # watches the trainable Variables W and b
            loss = _cross_entropy(_logits(self.W, self.b, Xb), "ids", yb)  # ()
        dW, db = tape.gradient(loss, [self.W, self.b])  # (D, C), (C,)
        self.W.assign_sub(self.config.lr * dW)  # lr becomes a constant of W's dtype
        self.b.assign_sub(self.config.lr * db)
        return loss  # the loss before this step's update

    def _argmax(self, X):
        return tf.argmax(_logits(self.W, self.b, X), axis=1)  # (N,) = argmax softmax(Z)

    def epoch(self, order, epoch: int, on_step=None, first_step: int = 0,
              should_stop=None) -> tuple:
        def step(idx):  # idx (B,): one call of the traced step, the loss before the update
            return self._step(self.X[idx], self.y[idx])
        return step_loop(step, order, self.config, self.n_classes, epoch, on_step, first_step,
                         should_stop)

    def params(self) -> Params:
        return Params(self.W.numpy(), self.b.numpy())

    def predict(self, X) -> np.ndarray:
        return self._predict(np.asarray(X, dtype=self.X.dtype)).numpy()

    def close(self) -> None:
        pass


def train(X, y, config: TrainConfig = TrainConfig(), *, params: Params | None = None,
          X_val=None, y_val=None, on_step=None, on_epoch=None, logdir=None, history=(),
          resume=None, should_stop=None) -> TrainResult:
    """Train with tf.function + GradientTape on class ids, from `params` (default
    numpy_softmax.init_params with the config's seed) and in numpy_softmax.epoch_order: the
    same minibatches as the NumPy reference. logdir is accepted for the common backend
    signature; the scalars are written by the caller (softmax_parity.tensorboard). Returns a
    numpy_softmax.TrainResult; raises DivergenceError as numpy_softmax.train does (NaN, inf
    or runaway loss).
    history, resume=Position and should_stop continue and stop a run as numpy_softmax.train
    does (a TF run resumes from the saved W and b)."""
    X, y, params, X_val, y_val = prepare(X, y, config, params, X_val, y_val)
    stepper = FunctionStepper(X, y, config, params=params)
    return train_loop(stepper, X_val=X_val, y_val=y_val, on_step=on_step, on_epoch=on_epoch,
                      history=history, resume=resume, should_stop=should_stop)
