"""The bench's kernel sections: time per op at one batch (`ops`), the NumPy epochs and their
two GEMMs with 1 and 2 BLAS threads (`threads`), and what bounds the NumPy epoch (`floor`).

Dimensions: N training rows, D features, C = 10 classes, B batch size, S = N // B steps.
"""
from __future__ import annotations

import importlib.util
import time

import numpy as np

from numpy_softmax import Params, TrainConfig, kernels
from numpy_softmax.loop import epoch_order, steps_per_epoch
from numpy_softmax.sgd import sgd_step
from numpy_softmax.steppers import gemm_columns
from numpy_softmax.threads import blas_threads

from .config import BenchConfig, blas_limit
from .contenders import Data, initial_params, make_contender, tf_available
from .timing import stats, time_call


def numpy_op_callables(params, Xb: np.ndarray, yb: np.ndarray, config: TrainConfig) -> dict:
    """{op: zero-argument callable} of the reference's unchecked kernels at one batch
    Xb (B, D), yb (B,): logits, softmax, cross-entropy, gradients, one SGD step."""
    W, b = params
    Z = kernels.logits(Xb, W, b)

    def step():
        _, dW, db = kernels.loss_and_grads(Xb, W, b, "ids", yb)
        return sgd_step(params, Params(dW, db), config.lr)
    return {"logits": lambda: kernels.logits(Xb, W, b),
            "softmax": lambda: kernels.softmax(Z, 1),
            "cross-entropy": lambda: kernels.cross_entropy(Z, "ids", yb),
            "gradients": lambda: kernels.loss_and_grads(Xb, W, b, "ids", yb),
            "sgd step": step}


def bench_ops(data: Data, bc: BenchConfig, config: TrainConfig, say=print) -> dict:
    """Seconds per call at batch op_batch, the same rows and labels for every mode."""
    B = bc.op_batch
    idx = epoch_order(data.n, config, 0)[:B]
    Xb, yb = data.images[idx], data.labels[idx]
    params = initial_params(data, config)
    modes = {"numpy": numpy_op_callables(params, Xb, yb, config)}
    if tf_available() and any(c.startswith("tf") for c in bc.contenders):
        from . import tf
        modes.update(tf.op_callables(params, Xb, yb, config.lr))
    out = {}
    with blas_threads(blas_limit(bc.blas_threads, 1)):  # the reference's kernels, as it trains
        for mode, ops in modes.items():
            out[mode] = {op: {**time_call(f, bc.op_seconds, bc.repeats)}
                         for op, f in ops.items()}
            say(f"  {mode} done")
    for mode in out:
        for op in out[mode]:
            out[mode][op]["us_per_call"] = 1e6 * out[mode][op]["median_s"]
    return {"batch_size": B, "modes": out}


def bench_threads(data: Data, bc: BenchConfig, config: TrainConfig, say=print) -> dict:
    """The NumPy epochs and the two GEMMs of a step with 1 and 2 BLAS threads, alternated."""
    if importlib.util.find_spec("threadpoolctl") is None:
        return {"skipped": "threadpoolctl is not installed"}
    params = initial_params(data, config)
    names = [n for n in ("numpy-fast-u8", "numpy-ref") if n in bc.contenders] or ["numpy-fast-u8"]
    runs = {(n, t): make_contender(n, data, config, params, t) for n in names for t in (1, 2)}
    times = {k: [] for k in runs}
    keys = list(runs)
    for r in range(bc.warmup + bc.repeats):
        order = epoch_order(data.n, config, r)
        k = r % len(keys)
        for key in keys[k:] + keys[:k]:
            t0 = time.perf_counter()
            runs[key].epoch(order, r)
            if r >= bc.warmup:
                times[key].append(time.perf_counter() - t0)
    S = steps_per_epoch(data.n, config)
    out = {f"{n} / {t} thread{'s' * (t > 1)}": {**stats(times[(n, t)]),
                                                 "ms_per_epoch": 1e3 * np.median(times[(n, t)]),
                                                 "threads": t}
           for (n, t) in keys}
    B = config.batch_size
    Xb = data.images[:B].copy()  # (B, D)
    dZ = np.full((B, 10), 1e-3, np.float32)  # (B, C)
    gemm = {}
    for t in (1, 2):
        with blas_threads(t):
            gemm[f"X @ W / {t}"] = time_call(lambda: Xb @ params.W, bc.op_seconds, bc.repeats)
            gemm[f"X.T @ dZ / {t}"] = time_call(lambda: Xb.T @ dZ, bc.op_seconds, bc.repeats)
    for v in gemm.values():
        v["us_per_call"] = 1e6 * v["median_s"]
        v["ms_per_epoch"] = 1e3 * v["median_s"] * S
    say("  threads done")
    return {"epochs": out, "gemm_batch": B, "gemms": gemm}


def bench_floor(data: Data, bc: BenchConfig, config: TrainConfig, say=print) -> dict:
    """What bounds the NumPy epoch of `train --backend numpy` (FastStepper's fast mode): each
    stage of its step timed alone over one epoch's batches, with the BLAS threads it trains
    on, the exact mode's stages beside them, the machine's memory bandwidth, and the GFLOP/s
    of a large single-thread GEMM for scale."""
    B, D = config.batch_size, data.pixels.shape[1]
    S = steps_per_epoch(data.n, config)
    order = epoch_order(data.n, config, 0)
    params = initial_params(data, config)
    W = params.W
    fast = make_contender("numpy-fast-u8", data, config, params, bc.blas_threads)
    exact = make_contender("numpy-exact-u8", data, config, params, bc.blas_threads)
    Cp = gemm_columns(W.shape[1], W.dtype)  # the fast mode's GEMM columns here
    Xb = np.empty((B, D), np.float32)  # (B, D) the exact mode's rows
    Xa = np.ones((B, D + 1), np.float32)  # (B, D + 1) the fast mode's [pixels 1/s]
    raw = np.empty((B, D), np.uint8)
    Z, Za = np.empty((B, W.shape[1]), np.float32), np.full((B, Cp), 1e-3, np.float32)
    dW, Wa = np.empty_like(W), np.zeros((D + 1, Cp), np.float32)

    def over_epoch(f):
        def run():
            for s in range(S):
                f(order[s * B:(s + 1) * B])
        return time_call(run, 0.0, bc.repeats)

    np.take(data.images, order[:B], axis=0, out=Xb)
    stages = {}
    with blas_threads(1):
        stages["gather uint8 rows (np.take)"] = over_epoch(
            lambda i: np.take(data.pixels, i, axis=0, out=raw, mode="wrap"))
        stages["uint8 -> float32 into [X 1] (fast)"] = over_epoch(
            lambda i: np.copyto(Xa[:, :D], raw))
        stages["gather uint8 rows + scale (exact)"] = over_epoch(
            lambda i: data.scaled.gather(i, raw, Xb, Xb))
        stages["gather float32 rows (np.take)"] = over_epoch(
            lambda i: np.take(data.images, i, axis=0, out=Xb, mode="wrap"))
        stages["X[idx] (fresh array)"] = over_epoch(lambda i: data.images[i])
        stages["GEMM X @ W (exact, 1 thread)"] = over_epoch(lambda i: np.matmul(Xb, W, out=Z))
        stages["GEMM X.T @ dZ (exact, 1 thread)"] = over_epoch(
            lambda i: np.matmul(Xb.T, Z, out=dW))
        stages["exact step (u8), whole epoch"] = time_call(lambda: exact.epoch(order, 0), 0.0,
                                                           bc.repeats)
        big = np.ones((1024, 1024), np.float32)
        g = time_call(lambda: big @ big, 0.2, bc.repeats)
    t = fast.threads
    with blas_threads(t):
        stages[f"GEMM [X 1] @ [W; b] (fast, {Cp} cols, {t} thr)"] = over_epoch(
            lambda i: np.matmul(Xa, Wa, out=Za))
        h = (D + 1) // 2  # the fast mode's gradient GEMM: two calls, on halves of W's rows
        stages[f"GEMM [X 1].T @ dZ (fast, {Cp} cols, {t} thr, 2 calls)"] = over_epoch(
            lambda i: (np.matmul(Xa[:, :h].T, Za, out=Wa[:h]),
                       np.matmul(Xa[:, h:].T, Za, out=Wa[h:])))
    stages["fast step (u8), whole epoch"] = time_call(lambda: fast.epoch(order, 0), 0.0,
                                                      bc.repeats)
    for v in stages.values():
        v["ms_per_epoch"] = 1e3 * v["median_s"]
    ms = {n: v["ms_per_epoch"] for n, v in stages.items()}
    gemm_ms = sum(v for n, v in ms.items() if n.startswith("GEMM [X 1]"))
    exact_gemm_ms = sum(v for n, v in ms.items() if n.startswith("GEMM X"))
    stages["rest of the fast step (u8), by difference"] = {
        "ms_per_epoch": ms["fast step (u8), whole epoch"] - gemm_ms
        - ms["gather uint8 rows (np.take)"] - ms["uint8 -> float32 into [X 1] (fast)"]}
    src = data.images
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch the pages first
    cp = time_call(lambda: np.copyto(dst, src), 0.0, bc.repeats)
    del dst
    bw = 2 * src.nbytes / cp["median_s"]  # read + write, bytes/s
    flops_epoch = 2 * 2 * S * B * D * 10  # two GEMMs of B x D x C multiply-adds per step
    say("  floor done")
    return {
        "stages": stages,
        "fast_gemm_columns": Cp,
        "fast_blas_threads": t,
        "copy_bandwidth_GBps": bw / 1e9,
        "large_gemm_GFLOPs_1thread": 2 * 1024 ** 3 / g["median_s"] / 1e9,
        "epoch_gemm_GFLOP": flops_epoch / 1e9,
        "epoch_gemm_GFLOPs_achieved": flops_epoch / (gemm_ms / 1e3) / 1e9,
        "floor_ms": {
            "two GEMMs per step (fast, measured)": gemm_ms,
            "two GEMMs per step (exact, measured)": exact_gemm_ms,
            "two GEMMs at the large-GEMM rate": flops_epoch / (2 * 1024 ** 3 / g["median_s"])
            * 1e3,
            "read float32 training set once": 1e3 * src.nbytes / (bw / 2),
            "read uint8 training set once": 1e3 * data.pixels.nbytes / (bw / 2),
        },
    }
