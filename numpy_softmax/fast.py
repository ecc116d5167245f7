"""A fast SGD epoch that computes exactly the numbers of the readable one (train.sgd_epoch).

Dimensions: N training examples, D features, C classes, B batch size.

train.sgd_epoch is the documentation of the math; fast_epoch is the same math arranged for the
machine. Every operation that rounds (the two GEMMs, the sums, exp, log, the divisions, the
update) is the same NumPy or BLAS call on the same operands in the same order as in the
reference, so the parameters and losses come out bit-identical. Per step:

    Xb = X[idx]                                  (B, D)  gathered into one reused buffer
    Z = Xb @ W + b                               (B, C)  the same sgemm call as the reference
    Z -= max_c Z                                 (B, C)  exp cannot overflow
    E = exp(Z);  S = sum_c E                     (B, C), (B, 1)
    loss = mean(log S - Z[y])                    = -mean(log_softmax(Z)[y])
    dZ = (E / S - onehot(y)) / B                 (B, C)  = (softmax(Z) - Y) / B
    W -= lr * (Xb.T @ dZ);  b -= lr * sum_n dZ   (D, C), (C,)

What it saves over the reference (measured in docs/benchmarks.md): temporaries (every array is
allocated once per epoch and written with out=), one of the two exps (the reference's
cross_entropy and grad_logits each compute the softmax), the row gather's fresh 400 KB array
per step (np.take with mode="wrap" into a buffer that stays in cache; mode="raise" would buffer
its output), the slow max over rows of 10 (taken on a transposed copy instead: a max never
rounds, so it is the same max), and Python-level overhead (Params, calls, keyword handling).

With X a ScaledRows (uint8 pixels and a scale), each step gathers 1 byte per feature instead
of 4 and converts the batch to float in the buffer: the same float32 numbers the loader makes
(pixels * float32(1/255)), without ever holding a float copy of the training set.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .data.rows import ScaledRows
from .errors import InputError
from .model import Params
from .train import TrainConfig, check_loss, loss_limit, sgd_epoch, steps_per_epoch


class _Buffers:
    """Every array one step writes, for batches of nb rows, allocated once per epoch."""

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


def fast_epoch(params: Params, X, y: np.ndarray, order: np.ndarray, config: TrainConfig, *,
               epoch: int, first_step: int = 0,
               on_step: Callable[[int, int, int], None] | None = None,
               should_stop: Callable[[], bool] | None = None):
    """train.sgd_epoch, faster, with the same contract and the same numbers.

    Steps first_step, first_step + 1, ... of the batches that `order` (n,) makes
    (batch s = order[s*B:(s+1)*B]). X (N, D) float array or ScaledRows, y (N,) int class ids.
    Returns (params, losses, stopped): new Params (the given ones are not modified), the steps'
    losses as floats in order, and whether should_stop() ended the epoch early (asked after
    every step but the last). Raises DivergenceError (train.check_loss) on a NaN/inf loss or
    one over loss_limit(C), before that step's update, as the reference does.
    """
    if getattr(X, "dtype", None) != params.W.dtype:
        # rows and parameters of different dtypes (train() never passes them): NumPy promotes
        # them op by op, and the reference does exactly that
        return sgd_epoch(params, X, y, order, config, epoch=epoch, first_step=first_step,
                         on_step=on_step, should_stop=should_stop)
    B = config.batch_size
    lr = config.lr
    n = order.shape[0]
    n_steps = steps_per_epoch(n, config)
    N = X.shape[0]
    if n and (int(order.max()) >= N or int(order.min()) < -N):
        raise IndexError(f"order holds an index outside [-{N}, {N}) for {N} rows")
    W = params.W.copy()  # (D, C) updated in place from here on
    b = params.b.copy()  # (C,)
    D, C = W.shape
    dtype = W.dtype
    dW = np.empty_like(W)  # (D, C)
    db = np.empty_like(b)  # (C,)
    y = np.asarray(y)
    scaled = isinstance(X, ScaledRows)
    limit = loss_limit(C)
    # local names: a global or attribute lookup costs time on each of the 429 steps
    matmul, add, subtract, multiply, divide, exp, log, copyto = (
        np.matmul, np.add, np.subtract, np.multiply, np.divide, np.exp, np.log, np.copyto)
    add_reduce, max_reduce, to_dtype = np.add.reduce, np.maximum.reduce, dtype.type

    full = _Buffers(B, D, C, dtype, X)
    losses = []
    for step in range(first_step, n_steps):
        idx = order[step * B:(step + 1) * B]  # (nb,) nb = B but for a short last batch
        k = full if idx.shape[0] == B else _Buffers(idx.shape[0], D, C, dtype, X)
        Xb, Z, E, S = k.X, k.Z, k.E, k.S
        nb = Xb.shape[0]
        if scaled:  # uint8 rows, then float32(pixel) * float32(scale) as the loader does
            X.gather(idx, k.raw, k.f32, Xb)  # order was range-checked above
        else:
            X.take(idx, axis=0, out=Xb, mode="wrap")  # mode="raise" would buffer `out`
        matmul(Xb, W, out=Z)  # (nb, C)
        add(Z, b, out=Z)  # Z = Xb @ W + b
        copyto(k.ZT, Z.T)
        max_reduce(k.ZT, axis=0, out=k.m)  # = Z.max(axis=1), exactly (a max never rounds),
        subtract(Z, k.m1, out=Z)  # but 7x faster. Shifted: exp cannot overflow
        exp(Z, out=E)
        add_reduce(E, axis=1, keepdims=True, out=S)  # (nb, 1) >= 1; = E.sum(axis=1)
        flat = add(k.rowbase, y[idx])  # (nb,) flat index of Z[n, y_n]
        k.Zflat.take(flat, out=k.picked)  # (nb,) shifted logit of the true class
        divide(E, S, out=E)  # softmax (nb, C)
        log(S, out=S)
        subtract(k.picked, k.S0, out=k.picked)  # log_softmax(Z)[n, y_n]  (nb,)
        # ndarray.mean: the same sum, then dtype(sum / intp(nb)), a float64 division for a
        # float32 sum; float(sum) / nb is that division without NumPy's scalar overhead
        loss = -float(to_dtype(float(add_reduce(k.picked)) / nb))  # mean(-x) = -mean(x)
        if not loss <= limit:  # NaN, inf or far worse than guessing
            check_loss(loss, epoch, step, lr, limit)  # raises DivergenceError
        k.Eflat[flat] -= 1  # softmax - onehot(y)
        divide(E, nb, out=E)  # dZ = (softmax - Y) / nb: the loss is a mean over nb
        matmul(k.XT, E, out=dW)  # dL/dW = Xb.T @ dZ  (D, C)
        add_reduce(E, axis=0, out=db)  # dL/db  (C,)
        multiply(dW, lr, out=dW)
        subtract(W, dW, out=W)  # W - lr * dW, lr rounded to W's dtype as in sgd_step
        multiply(db, lr, out=db)
        subtract(b, db, out=b)
        losses.append(loss)
        if on_step is not None:
            on_step(epoch, step, n_steps)
        if should_stop is not None and step + 1 < n_steps and should_stop():
            return Params(W, b), losses, True
    return Params(W, b), losses, False
