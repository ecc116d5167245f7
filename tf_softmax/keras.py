"""The same model as a Keras user writes it: Sequential([Dense(10)]), a Keras loss, SGD.

Dimensions: N examples, D features, C classes, B batch size, S steps of an epoch.

    model = keras.Sequential([keras.Input((D,)), keras.layers.Dense(C)])  Z = X @ W + b  (N, C)
    model.set_weights([W, b])                    the kernel from init_params, the bias zero
    model.compile(loss=SparseCategoricalCrossentropy(from_logits=True),   mean over the batch
                  optimizer=SGD(learning_rate=lr))                        W -= lr * dW
    model.train_on_batch(X[idx], y[idx])         one SGD step; the loss before the update

KerasStepper steps with train_on_batch, one call per batch of the loop. KerasFitStepper adds
steps(batches): one model.fit over a tf.data pipeline of the epoch's batches (no shuffling),
the same train function on the same batches, so the same parameters bit for bit. fit does not
serve the training backend because it reports no step's own loss: its logs carry the running
mean of the epoch so far (a Mean metric), which steps() can only unwind by differences, each
off by the rounding of that mean (docs/tensorflow.md, "keras").

float64: Keras keeps its learning rate, its loss and its metrics in keras.config.floatx(), the
process's default float, float32 unless set. A float32 learning rate in a float64 run rounds
lr = 0.01 to 0.009999999776 (a 2e-9 step error, as TF1's GradientDescentOptimizer makes of a
bare Python float). So every Keras call runs inside floatx(dtype), which sets the default to
the run's dtype and restores it after: the layer, the loss, SGD's learning rate and the loss
metric are all float64 in a float64 run, and other Keras code in the process is untouched.
"""
from __future__ import annotations

import contextlib

import numpy as np

from numpy_softmax import Params, TrainConfig

from ._tf import tf

import keras  # noqa: E402  (after _tf: TF imported quietly first)


@contextlib.contextmanager
def floatx(dtype: str):
    """keras.config.floatx() set to dtype ("float32" or "float64") inside, restored after."""
    saved = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(saved)


def build_model(params: Params, lr: float, dtype: str):
    """The compiled Keras model, its Dense kernel W (D, C) and bias b (C,) set from params."""
    D, C = params.W.shape
    with floatx(dtype):
        model = keras.Sequential([keras.Input((D,), dtype=dtype),
                                  keras.layers.Dense(C, dtype=dtype, name="dense")])
        model.set_weights([params.W, params.b])  # W (D, C), b (C,)
        # jit_compile=False says what Keras's "auto" chooses on a CPU-only machine (no XLA);
        # with a GPU, "auto" would compile with XLA and round differently
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      optimizer=keras.optimizers.SGD(learning_rate=lr), jit_compile=False)
    return model


class KerasStepper:
    """A stepper of numpy_softmax.loop: rows of X (N, D), ids y (N,); each batch is one
    model.train_on_batch call on exactly the rows the loop gives."""

    def __init__(self, X, y, config: TrainConfig, params: Params):
        self.X, self.y, self.config, self.n_train = X, y, config, X.shape[0]
        self.dtype = config.dtype
        self.model = build_model(params, config.lr, config.dtype)

    def step(self, idx) -> float:
        with floatx(self.dtype):
            return float(self.model.train_on_batch(self.X[idx], self.y[idx]))  # before update

    def params(self) -> Params:
        W, b = self.model.get_layer("dense").get_weights()  # copies: (D, C), (C,)
        return Params(W, b)

    def logits(self, X) -> np.ndarray:
        with floatx(self.dtype):
            return np.asarray(self.model.predict_on_batch(
                np.asarray(X, dtype=self.dtype)))  # (N', C)

    def lr_dtype(self) -> str:
        """The dtype Keras keeps the learning rate in (float64 in a float64 run)."""
        return self.model.optimizer.learning_rate.dtype

    def close(self) -> None:
        keras.backend.clear_session(free_memory=False)  # forget the model's graph names


class _StepLosses(keras.callbacks.Callback):
    """Each step's loss, unwound from the running mean m_k fit reports after step k:
    L_k = (k + 1) m_k - k m_(k-1), in float64. Their sum is S m_(S-1), fit's epoch mean."""

    def __init__(self):
        super().__init__()
        self.means = []

    def on_train_batch_end(self, batch, logs=None):
        self.means.append(float(logs["loss"]))

    def losses(self) -> np.ndarray:
        m = np.asarray(self.means, dtype=np.float64)  # (S,)
        k = np.arange(m.shape[0], dtype=np.float64)  # (S,)
        return (k + 1) * m - k * np.concatenate([[0.0], m[:-1]])  # (S,)


class KerasFitStepper(KerasStepper):
    """KerasStepper plus steps(batches): the whole epoch as one model.fit over a tf.data
    pipeline of the batches (S, B) in order, unshuffled; step() stays train_on_batch."""

    def __init__(self, X, y, config: TrainConfig, params: Params):
        super().__init__(X, y, config, params)
        self._X, self._y = tf.constant(X), tf.constant(y)  # (N, D), (N,): gathered per batch

    def steps(self, batches: np.ndarray) -> np.ndarray:
        X, y = self._X, self._y
        data = tf.data.Dataset.from_tensor_slices(batches).map(  # (B,) rows of one batch
            lambda idx: (tf.gather(X, idx), tf.gather(y, idx)))  # (B, D), (B,)
        record = _StepLosses()
        with floatx(self.dtype):
            self.model.fit(data, epochs=1, shuffle=False, verbose=0, callbacks=[record])
        return record.losses()  # (S,)
