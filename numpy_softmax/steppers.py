"""The NumPy steppers of the one loop (numpy_softmax.loop), and `train`, which runs them.

Dimensions: N training examples, D features, C classes, B batch size.

ReferenceStepper is the documentation of the math: one readable SGD step. FastStepper is the
same math arranged for the machine, in two modes. Its exact mode makes every operation that
rounds (the two GEMMs, the sums, exp, log, the divisions, the update) the same NumPy or BLAS
call on the same operands in the same order as the reference, so parameters and losses come
out bit-identical. Per step:

    Xb = X[idx]                                  (B, D)  gathered into one reused buffer
    Z = Xb @ W + b                               (B, C)  the same sgemm call as the reference
    Z -= max_c Z                                 (B, C)  exp cannot overflow
    E = exp(Z);  S = sum_c E                     (B, C), (B, 1)
    loss = mean(log S - Z[y])                    = -mean(log_softmax(Z)[y]); the exact mode
                                                 takes log S = log1p(r), r the sum of E but
                                                 one 1, as kernels.max_and_rest
    dZ = (E / S - onehot(y)) / B                 (B, C)  = (softmax(Z) - Y) / B
    W -= lr * (Xb.T @ dZ);  b -= lr * sum_n dZ   (D, C), (C,)

What it leaves out of the reference's step: temporaries (every array is allocated once, when
the stepper is built, and written with out=), one of the two exps (the reference's
cross_entropy and grad_logits each compute the softmax), the fresh array of each row gather
(np.take into a buffer that stays in cache), the slow max over rows of 10 (taken on a
transposed copy instead: a max never rounds, so it is the same max), and Python-level overhead.
Its fast mode (the default) also folds the bias into the GEMMs, lr / B into the softmax, the
pixels' scale into the logits and the row sums into a matrix-vector product, and shapes the
GEMMs for the BLAS kernel, which round differently (FastStepper says how).
docs/benchmarks.md has what each of these is worth.
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from . import kernels, loop
from .data import ScaledRows, source_rows
from .errors import InputError
from .model import Params
from .sgd import sgd_step
from .threads import blas_kernel, blas_threads


class ReferenceStepper:
    """The readable step: loss_and_grads on the batch, then sgd_step. X (N, D) floats or
    ScaledRows, y (N,) class ids, both as loop.prepare returns them."""

    threads = 1  # BLAS threads, as train() runs it

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


# OpenBLAS kernels with AVX-512 sgemm: their (128, 785) @ (785, C) and its transpose run ~30%
# faster with C = 16 columns than with 10 (docs/benchmarks.md, "Routes"); Haswell's kernel is
# fastest at 10.
WIDE_GEMM_KERNELS = frozenset({"SkylakeX", "Cooperlake", "SapphireRapids"})
GEMM_COLUMNS = 16


def gemm_columns(C: int, dtype) -> int:
    """How many columns the fast mode's W holds for C classes: C, or GEMM_COLUMNS when C is
    fewer and the BLAS kernel (threads.blas_kernel) runs float32 GEMMs faster that wide."""
    if C < GEMM_COLUMNS and np.dtype(dtype) == np.float32 and blas_kernel() in WIDE_GEMM_KERNELS:
        return GEMM_COLUMNS
    return C


class _Buffers:
    """Every array one step writes, for batches of nb rows: nb x Dk features (D, or D + 1 with
    the bias feature) and Cp logit columns (C, or C plus padding columns)."""

    def __init__(self, nb: int, Dk: int, Cp: int, dtype, X, bias_feature):
        D = X.shape[1]
        self.X = np.empty((nb, Dk), dtype)  # (nb, Dk) the batch's rows [, bias feature]
        self.X[:, D:] = bias_feature  # written once: the gathers fill the first D columns
        self.Xd = self.X if Dk == D else self.X[:, :D]  # (nb, D) the features
        self.XT = self.X.T  # (Dk, nb) a view: X.T @ dZ is the same transposed sgemm call
        if isinstance(X, ScaledRows):
            self.raw = np.empty((nb, D), X.data.dtype)  # (nb, D) e.g. uint8
            self.f32 = self.X if X.dtype == np.float32 else np.empty((nb, D), np.float32)
        elif Dk > D:
            self.rows = np.empty((nb, D), dtype)  # (nb, D) np.take's contiguous output
        self.Z = np.empty((nb, Cp), dtype)  # (nb, Cp) logits, then shifted logits
        self.Zflat = self.Z.reshape(-1)  # (nb * Cp,) a view, to pick Z[n, y_n]
        self.ZT = np.empty((Cp, nb), dtype)  # (Cp, nb) Z transposed, for a fast row max
        self.m = np.empty(nb, dtype)  # (nb,) row max
        self.m1 = self.m.reshape(nb, 1)  # (nb, 1) a view, to broadcast over the row
        self.E = np.empty((nb, Cp), dtype)  # (nb, Cp) exp(shifted), then softmax, then dZ
        self.Eflat = self.E.reshape(-1)  # (nb * Cp,) a view, to subtract onehot(y)
        self.S = np.empty((nb, 1), dtype)  # (nb, 1) row sum of exp, then its log
        self.S0 = self.S[:, 0]  # (nb,) a view
        self.R = np.empty((nb, 1), dtype)  # (nb, 1) fast mode: lr / (nb S); exact: log1p(r)
        self.top = np.empty(nb, np.intp)  # (nb,) exact mode: flat index of each row's max
        self.T = np.empty((nb, Cp), dtype)  # (nb, Cp) exact mode: TwoSum's temporaries, then
        self.U = np.empty((nb, Cp), dtype)  # (nb, Cp) exp(d) with the shift's rounding back
        self.flat = np.empty(nb, np.intp)  # (nb,) flat index of Z[n, y_n]
        self.c = None  # fast mode: lr / nb (times the pixel scale), set by the stepper
        self.grad_parts = ()  # fast mode: ((X.T rows, dWb rows), ...), set by the stepper
        self.ones = np.ones(Cp, dtype)  # (Cp,) fast mode: E @ ones = row sums
        self.picked = np.empty(nb, dtype)  # (nb,) shifted logit of the true class
        self.rowbase = np.arange(nb) * Cp  # (nb,) flat index of each row's first class


class FastStepper:
    """The SGD step arranged for the machine, in two modes. X (N, D) floats or ScaledRows
    (uint8 pixels: each step gathers 1 byte per feature instead of 4), y (N,) class ids.
    W and b are updated in place; every buffer is kept from step to step.

    exact=True: ReferenceStepper's numbers, bit for bit: the same NumPy and BLAS calls on the
    same operands in the same order (the module docstring says what it leaves out).

    exact=False, the fast mode: the same math, arranged so that it rounds differently, by an
    ulp or so per step; parity_tests/test_fast_mode.py holds it to the reference stepper at
    the compare tolerances. What changes:
      - the bias rides in the GEMMs: [Xb 1] @ [W; b] = Xb @ W + b and [Xb 1].T @ dZ =
        [dW; db], so W and b are one array, updated by one subtraction;
      - lr / nb is folded into the softmax's division: lr dZ = (lr / nb) (E / S - Y);
      - the row sums of E come from a matrix-vector product, E @ ones;
      - uint8 pixels p (float32 only) enter the GEMMs as they are, 0..255, not scaled to
        x = s p (s = 1/255): the bias feature is 1/s, so s ([p 1/s] @ [W; b]) = x @ W + b,
        a multiply of the (nb, C) logits instead of the (nb, D) rows, and the gradient's GEMM
        [p 1/s].T @ (s lr dZ) is lr [dW; db]. (Holding s [W; b] instead saves that multiply
        but drifts ~6x further from the reference, 1.1e-6 of max |W| after an MNIST epoch
        against 1.6e-7: measured, not kept);
      - W holds 16 columns where the BLAS kernel is faster so (gemm_columns), the ones past C
        with weight 0 and bias -inf: their logits are -inf, their softmax 0, their gradient
        0, so they never change and never count;
      - the gradient's GEMM runs as two calls, each for half of W's rows (the same sum for
        each entry; faster than one call at these shapes).
    """

    threads = 1  # BLAS threads, as train() runs it (two: docs/benchmarks.md, "Routes")

    def __init__(self, X, y: np.ndarray, config: loop.TrainConfig, params: Params, *,
                 exact: bool = False):
        W, b = np.array(params.W), np.array(params.b)  # (D, C), (C,)
        D, C = W.shape
        self.exact, self.dtype = exact, W.dtype
        self.X = X.astype(W.dtype, copy=False)  # (N, D) rows in the parameters' dtype
        self.y = np.asarray(y)  # (N,)
        self.config, self.n_train, self.n_classes = config, self.y.shape[0], C
        # fast mode on float32 pixels: the GEMM reads them unscaled, times `scale` after
        self.scale = self.X.scale if (not exact and isinstance(self.X, ScaledRows)
                                      and self.dtype == np.float32) else None
        if exact:
            self.W, self.b = W, b  # updated in place from here on
            self.dW, self.db = np.empty_like(W), np.empty_like(b)  # (D, C), (C,)
            self._shape, self._bias_feature = (D, C), None
        else:
            Cp = gemm_columns(C, W.dtype)
            s = 1 if self.scale is None else self.scale
            self.Wb = np.zeros((D + 1, Cp), W.dtype)  # (D + 1, Cp) [W; b], padded
            self.Wb[:D, :C], self.Wb[D, :C], self.Wb[D, C:] = W, b, -np.inf
            self.dWb = np.empty_like(self.Wb)  # (D + 1, Cp) lr [dW; db]
            self._shape, self._bias_feature = (D + 1, Cp), self.dtype.type(1 / s)
        self._buffers = {}  # batch size -> _Buffers (B, and a short last batch if any)
        self._full = self._buffers_for(config.batch_size)

    def _buffers_for(self, nb: int) -> _Buffers:
        if nb not in self._buffers:
            k = _Buffers(nb, *self._shape, self.dtype, self.X, self._bias_feature)
            t = self.dtype.type
            s = t(1 if self.scale is None else self.scale)
            k.c = t(self.config.lr) / t(nb) * s  # lr s / nb (pixels), lr / nb (floats)
            if not self.exact:  # the gradient's GEMM as two calls, on halves of W's rows:
                h = self._shape[0] // 2  # the same sum per entry, ~20 us instead of ~25
                k.grad_parts = ((k.XT[:h], self.dWb[:h]), (k.XT[h:], self.dWb[h:]))
            self._buffers[nb] = k
        return self._buffers[nb]

    def step(self, idx: np.ndarray) -> float:
        try:  # np.take(mode="raise") refuses a row that does not exist, before any gather
            yb = self.y.take(idx)  # (nb,)
        except IndexError:
            N = self.n_train
            raise IndexError(f"batch holds a row index outside [-{N}, {N}) for {N} "
                             "rows") from None
        nb = idx.shape[0]
        k = self._full if nb == self._full.m.shape[0] else self._buffers_for(nb)
        X = self.X  # mode="wrap" below: mode="raise" would buffer `out`
        if self.scale is not None:  # uint8 rows as they are, converted (exactly) to float32
            X.data.take(idx, axis=0, out=k.raw, mode="wrap")
            np.copyto(k.Xd, k.raw)
        elif isinstance(X, ScaledRows):  # float32(pixel) * float32(scale), as the loader
            X.gather(idx, k.raw, k.f32, k.Xd)
        elif k.Xd is k.X:
            X.take(idx, axis=0, out=k.X, mode="wrap")
        else:  # np.take buffers a strided `out`: take into a contiguous one, then copy
            X.take(idx, axis=0, out=k.rows, mode="wrap")
            np.copyto(k.Xd, k.rows)
        return self._exact_update(k, yb) if self.exact else self._fast_update(k, yb)

    def _exact_update(self, k: _Buffers, yb: np.ndarray) -> float:
        nb = yb.shape[0]
        W, b, dW, db, lr = self.W, self.b, self.dW, self.db, self.config.lr
        Xb, Z, E, S = k.X, k.Z, k.E, k.S  # (nb, D), (nb, C), (nb, C), (nb, 1)
        np.matmul(Xb, W, out=Z)  # (nb, C)
        np.add(Z, b, out=Z)  # Z = Xb @ W + b
        self._shift(k)  # a max never rounds: the reference's Z - Z.max(axis=1). exp cannot
        np.exp(Z, out=E)  # overflow now
        np.add.reduce(E, axis=1, keepdims=True, out=S)  # (nb, 1) >= 1; = E.sum(axis=1)
        self._rest(k)  # k.R = r, the sum of E but one 1, as kernels.max_and_rest: S = 1 + r
        flat = np.add(k.rowbase, yb)  # (nb,) flat index of Z[n, y_n]
        k.Zflat.take(flat, out=k.picked)  # (nb,) shifted logit of the true class
        np.divide(E, S, out=E)  # softmax (nb, C)
        np.log1p(k.R, out=k.R)
        np.subtract(k.picked, k.R[:, 0], out=k.picked)  # log_softmax(Z)[n, y_n]  (nb,)
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

    def _fast_update(self, k: _Buffers, yb: np.ndarray) -> float:
        nb = yb.shape[0]
        Wb, Z, E, S, c = self.Wb, k.Z, k.E, k.S, k.c  # Z, E (nb, Cp); S (nb, 1); c = lr (s) / nb
        np.matmul(k.X, Wb, out=Z)  # Z = [X 1] @ [W; b] = X @ W + b  (nb, Cp), or Z / s
        if self.scale is not None:  # that was [p 1/s] @ [W; b] = Z / s for pixels p = X / s
            np.multiply(Z, self.scale, out=Z)
        self._shift(k)  # Z - row max: exp cannot overflow, and log S in [0, log C] is exact
        np.exp(Z, out=E)  # enough for a loss near 0. The padding columns: exp(-inf) = 0
        np.dot(E, k.ones, out=k.S0)  # S = E @ ones  (nb,) >= 1
        flat = np.add(k.rowbase, yb, out=k.flat)  # (nb,) flat index of Z[n, y_n]
        k.Zflat.take(flat, out=k.picked)  # (nb,) the true class's logit
        np.divide(c, S, out=k.R)  # (nb, 1) lr / (nb S)
        np.multiply(E, k.R, out=E)  # (lr / nb) softmax
        np.log(S, out=S)
        np.subtract(k.picked, k.S0, out=k.picked)  # log_softmax(Z)[n, y_n]  (nb,)
        loss = -float(self.dtype.type(float(np.add.reduce(k.picked)) / nb))
        k.Eflat[flat] -= c  # (lr / nb) (softmax - Y) = lr dZ, or s lr dZ for pixels
        for XT, dWb in k.grad_parts:  # lr [dW; db] = [X 1].T @ (lr dZ) = [p 1/s].T @ (s lr dZ)
            np.matmul(XT, E, out=dWb)  # (D + 1, Cp), in two halves of its rows
        np.subtract(Wb, self.dWb, out=Wb)  # [W; b] -= lr [dW; db]
        return loss

    @staticmethod
    def _rest(k: _Buffers) -> None:
        """k.R (nb, 1) = r, kernels.max_and_rest's sum: E with what the shift's rounding lost
        put back (TwoSum on z = k.ZT.T, d = k.Z, m = k.m1), less each row's first largest."""
        z, d, T, U = k.ZT.T, k.Z, k.T, k.U  # (nb, Cp) each
        np.subtract(d, z, out=T)  # d - z
        np.subtract(d, T, out=U)
        np.subtract(z, U, out=U)  # z - (d - (d - z))
        np.add(k.m1, T, out=T)  # m + (d - z)
        np.subtract(U, T, out=U)  # lost = z - m - d, exactly
        np.multiply(k.E, U, out=U)
        np.add(k.E, U, out=U)  # exp(d) (1 + lost)
        np.argmax(k.ZT, axis=0, out=k.top)  # (nb,) each row's first largest logit
        top = np.add(k.rowbase, k.top, out=k.top)  # its flat index, where E = exp(0) = 1
        k.U.reshape(-1)[top] = 0
        np.add.reduce(U, axis=1, keepdims=True, out=k.R)  # (nb, 1)

    @staticmethod
    def _shift(k: _Buffers) -> None:
        """Z -= its row max (nb, 1), taken on a transposed copy (a fast max over rows of 10)."""
        np.copyto(k.ZT, k.Z.T)
        np.maximum.reduce(k.ZT, axis=0, out=k.m)  # (nb,) = Z.max(axis=1), exactly
        np.subtract(k.Z, k.m1, out=k.Z)

    def params(self) -> Params:
        """A snapshot (D, C), (C,): W and b keep changing."""
        if self.exact:
            return Params(self.W.copy(), self.b.copy())
        D, C = self.Wb.shape[0] - 1, self.n_classes
        return Params(self.Wb[:D, :C].copy(), self.Wb[D, :C].copy())

    def logits(self, X: np.ndarray) -> np.ndarray:
        return kernels.logits(X, *self.params())  # (N', C)


STEPPERS = {"fast": FastStepper, "exact": functools.partial(FastStepper, exact=True),
            "reference": ReferenceStepper}


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
    uint8 pixels (data.source_rows): the same numbers, a quarter of the bytes per batch.
    params defaults to init_params(D, n_classes, seed=config.seed, stddev=config.init_stddev).
    stepper: "fast" (the default) runs FastStepper's fast mode, whose rounding differs from
    the reference's by an ulp or so per step (held to the compare tolerances by the parity
    suite); "exact" runs FastStepper(exact=True), bit-identical to "reference" (the readable
    step). All three run with BLAS on one thread (the thread count changes how the GEMMs split
    their sums, hence their rounding; a second thread costs a second core for ~13%).
    history, resume=Position and should_stop continue and stop a run as numpy_softmax.loop.run
    does; on_step(epoch, step, n_steps) and on_epoch(record, params) report progress.
    Raises DivergenceError as soon as a loss is NaN, inf or over loop.loss_limit(C), or the
    parameters stop being finite.
    """
    if stepper not in STEPPERS:
        raise InputError(f"stepper must be one of {', '.join(STEPPERS)}, got {stepper!r}")
    X = source_rows(X) or X  # the loader's images: train from their pixels
    X, y, params, X_val, y_val = loop.prepare(X, y, config, params, X_val, y_val, n_classes)
    stepper = STEPPERS[stepper](X, y, config, params)
    with blas_threads(stepper.threads):
        return loop.run(stepper, X_val=X_val, y_val=y_val, on_step=on_step, on_epoch=on_epoch,
                        history=history, resume=resume, should_stop=should_stop)
