"""The NumPy steppers of the one loop (numpy_softmax.loop), and `train`, which runs them.

Dimensions: N training examples, D features, C classes, B batch size.

ReferenceStepper is the documentation of the math: one readable SGD step. FastStepper is the
same math arranged for the machine. Every operation that rounds (the two GEMMs, the sums, exp,
log, the divisions, the update) is the same NumPy or BLAS call on the same operands in the
same order as in the reference, so parameters and losses come out bit-identical. Per step:

    Xb = X[idx]                                  (B, D)  gathered into one reused buffer
    Z = Xb @ W + b                               (B, C)  the same sgemm call as the reference
    Z -= max_c Z                                 (B, C)  exp cannot overflow
    E = exp(Z);  S = sum_c E                     (B, C), (B, 1)
    loss = mean(log S - Z[y])                    = -mean(log_softmax(Z)[y])
    dZ = (E / S - onehot(y)) / B                 (B, C)  = (softmax(Z) - Y) / B
    W -= lr * (Xb.T @ dZ);  b -= lr * sum_n dZ   (D, C), (C,)

What it leaves out of the reference's step: temporaries (every array is allocated once, when
the stepper is built, and written with out=), one of the two exps (the reference's
cross_entropy and grad_logits each compute the softmax), the fresh array of each row gather
(np.take into a buffer that stays in cache), the slow max over rows of 10 (taken on a
transposed copy instead: a max never rounds, so it is the same max), and Python-level overhead.
docs/benchmarks.md has what each of these is worth.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import kernels, loop
from .data import ScaledRows, source_rows
from .errors import InputError
from .model import Params
from .sgd import sgd_step
from .threads import blas_threads


class ReferenceStepper:
    """The readable step: loss_and_grads on the batch, then sgd_step. X (N, D) floats or
    ScaledRows, y (N,) class ids, both as loop.prepare returns them."""

    def __init__(self, X, y: np.ndarray, config: loop.TrainConfig, params: Params):
        self.X, self.y, self.config = X, y, config  # (N, D), (N,)
        self.n_train = y.shape[0]
        self._params = params

    def step(self, idx: np.ndarray) -> float:
        Xb, yb = self.X[idx], self.y[idx]  # (B, D), (B,)
        W, b = self._params
        loss, dW, db = kernels.loss_and_grads(Xb, W, b, "ids", yb)  # (), (D, C), (C,)
        self._params = sgd_step(self._params, Params(dW, db), self.config.lr)
        return float(loss)

    def params(self) -> Params:
        return self._params

    def logits(self, X: np.ndarray) -> np.ndarray:
        return kernels.logits(X, *self._params)  # (N', C)


class _Buffers:
    """Every array one step writes, for batches of nb rows."""

    def __init__(self, nb: int, D: int, C: int, dtype, X):
        self.X = np.empty((nb, D), X.dtype)  # (nb, D) the batch's rows
        self.XT = self.X.T  # (D, nb) a view: X.T @ dZ is the same transposed sgemm call
        if isinstance(X, ScaledRows):
            self.raw = np.empty((nb, D), X.data.dtype)  # (nb, D) e.g. uint8
            self.f32 = self.X if X.dtype == np.float32 else np.empty((nb, D), np.float32)
        self.Z = np.empty((nb, C), dtype)  # (nb, C) logits, then shifted logits
        self.Zflat = self.Z.reshape(-1)  # (nb * C,) a view, to pick Z[n, y_n]
        self.ZT = np.empty((C, nb), dtype)  # (C, nb) Z transposed, for a fast row max
        self.m = np.empty(nb, dtype)  # (nb,) row max
        self.m1 = self.m.reshape(nb, 1)  # (nb, 1) a view, to broadcast over the row
        self.E = np.empty((nb, C), dtype)  # (nb, C) exp(shifted), then softmax, then dZ
        self.Eflat = self.E.reshape(-1)  # (nb * C,) a view, to subtract onehot(y)
        self.S = np.empty((nb, 1), dtype)  # (nb, 1) row sum of exp, then its log
        self.S0 = self.S[:, 0]  # (nb,) a view
        self.picked = np.empty(nb, dtype)  # (nb,) shifted logit of the true class
        self.rowbase = np.arange(nb) * C  # (nb,) flat index of each row's first class


class FastStepper:
    """ReferenceStepper's numbers, bit for bit, with W and b updated in place and every
    buffer kept from step to step and epoch to epoch. X (N, D) floats or ScaledRows (uint8
    pixels: each step gathers 1 byte per feature instead of 4 and converts the batch in the
    buffer, to the same float32 numbers the loader makes), y (N,) class ids."""

    def __init__(self, X, y: np.ndarray, config: loop.TrainConfig, params: Params):
        self.W = np.array(params.W)  # (D, C) updated in place from here on
        self.b = np.array(params.b)  # (C,)
        D, C = self.W.shape
        self.X = X.astype(self.W.dtype, copy=False)  # (N, D) rows in the parameters' dtype
        self.y = np.asarray(y)  # (N,)
        self.config, self.n_train = config, self.y.shape[0]
        self.dW = np.empty_like(self.W)  # (D, C)
        self.db = np.empty_like(self.b)  # (C,)
        self._buffers = {}  # batch size -> _Buffers (B, and a short last batch if any)
        self._full = self._buffers_for(config.batch_size)

    def _buffers_for(self, nb: int) -> _Buffers:
        if nb not in self._buffers:
            self._buffers[nb] = _Buffers(nb, *self.W.shape, self.W.dtype, self.X)
        return self._buffers[nb]

    def step(self, idx: np.ndarray) -> float:
        N = self.n_train
        if not (idx.max() < N and idx.min() >= -N):  # np.take wraps: refuse bad rows first
            raise IndexError(f"batch holds a row index outside [-{N}, {N}) for {N} rows")
        nb = idx.shape[0]
        k = self._full if nb == self._full.m.shape[0] else self._buffers_for(nb)
        W, b, dW, db, lr = self.W, self.b, self.dW, self.db, self.config.lr
        Xb, Z, E, S = k.X, k.Z, k.E, k.S
        if isinstance(self.X, ScaledRows):  # uint8 rows, then float32(pixel) * float32(scale)
            self.X.gather(idx, k.raw, k.f32, Xb)
        else:
            self.X.take(idx, axis=0, out=Xb, mode="wrap")  # mode="raise" would buffer `out`
        np.matmul(Xb, W, out=Z)  # (nb, C)
        np.add(Z, b, out=Z)  # Z = Xb @ W + b
        np.copyto(k.ZT, Z.T)
        np.maximum.reduce(k.ZT, axis=0, out=k.m)  # = Z.max(axis=1), exactly: a max never
        np.subtract(Z, k.m1, out=Z)  # rounds. Shifted: exp cannot overflow
        np.exp(Z, out=E)
        np.add.reduce(E, axis=1, keepdims=True, out=S)  # (nb, 1) >= 1; = E.sum(axis=1)
        flat = np.add(k.rowbase, self.y[idx])  # (nb,) flat index of Z[n, y_n]
        k.Zflat.take(flat, out=k.picked)  # (nb,) shifted logit of the true class
        np.divide(E, S, out=E)  # softmax (nb, C)
        np.log(S, out=S)
        np.subtract(k.picked, k.S0, out=k.picked)  # log_softmax(Z)[n, y_n]  (nb,)
        # ndarray.mean: the same sum, then dtype(sum / intp(nb)), a float64 division for a
        # float32 sum; float(sum) / nb is that division without NumPy's scalar overhead
        loss = -float(W.dtype.type(float(np.add.reduce(k.picked)) / nb))  # mean(-x) = -mean(x)
        k.Eflat[flat] -= 1  # softmax - onehot(y)
        np.divide(E, nb, out=E)  # dZ = (softmax - Y) / nb: the loss is a mean over nb
        np.matmul(k.XT, E, out=dW)  # dL/dW = Xb.T @ dZ  (D, C)
        np.add.reduce(E, axis=0, out=db)  # dL/db  (C,)
        np.multiply(dW, lr, out=dW)
        np.subtract(W, dW, out=W)  # W - lr * dW, lr rounded to W's dtype as in sgd_step
        np.multiply(db, lr, out=db)
        np.subtract(b, db, out=b)
        return loss

    def params(self) -> Params:
        return Params(self.W.copy(), self.b.copy())  # a snapshot: W and b keep changing

    def logits(self, X: np.ndarray) -> np.ndarray:
        return kernels.logits(X, self.W, self.b)  # (N', C)


STEPPERS = {"fast": FastStepper, "reference": ReferenceStepper}


def train(X, y, config: loop.TrainConfig = loop.TrainConfig(), *, params: Params | None = None,
          X_val=None, y_val=None,
          on_step: Callable[[int, int, int], None] | None = None,
          on_epoch: Callable[[loop.EpochRecord, Params], None] | None = None, history=(),
          resume: loop.Position | None = None, should_stop: Callable[[], bool] | None = None,
          n_classes: int = 10, stepper: str = "fast") -> loop.TrainResult:
    """Minibatch SGD on mean cross-entropy with the seed's protocol, in NumPy.

    Each step: Xb, yb = the next batch (B, D), (B,); loss, grads = loss_and_grads(params, Xb,
    yb); params = params - lr * grads. Shapes: X (N, D) (or a ScaledRows of uint8 pixels),
    y (N,) int labels in [0, C). The loader's own images (Split.images) are read from their
    uint8 pixels (data.source_rows): the same numbers, a quarter of the bytes per batch. params defaults to init_params(D, n_classes,
    seed=config.seed, stddev=config.init_stddev).
    stepper="fast" (the default) and "reference" (the readable step) give bit-identical
    results; both run with BLAS on one thread (the thread count changes the GEMMs' rounding,
    and this model's small GEMMs gain nothing from a second thread).
    history, resume=Position and should_stop continue and stop a run as numpy_softmax.loop.run
    does; on_step(epoch, step, n_steps) and on_epoch(record, params) report progress.
    Raises DivergenceError as soon as a loss is NaN, inf or over loop.loss_limit(C), or the
    parameters stop being finite.
    """
    if stepper not in STEPPERS:
        raise InputError(f"stepper must be one of {', '.join(STEPPERS)}, got {stepper!r}")
    X = source_rows(X) or X  # the loader's images: train from their pixels
    X, y, params, X_val, y_val = loop.prepare(X, y, config, params, X_val, y_val, n_classes)
    with blas_threads(1):
        return loop.run(STEPPERS[stepper](X, y, config, params), X_val=X_val, y_val=y_val,
                        on_step=on_step, on_epoch=on_epoch, history=history, resume=resume,
                        should_stop=should_stop)
