"""The public numpy_softmax.train() against a naive NumPy loop and the CLI's numpy backend.

    python benchmarks/train_api.py [--epochs 3] [--rounds 3] [--out FILE.json]

Each round runs, in a rotated order, in this one process:
    train-api     numpy_softmax.train(images, labels, TrainConfig(epochs=E)), the loader's
                  images (its default: the fast mode, BLAS on one thread)
    train-exact   the same with stepper="exact" (bit-identical to the reference)
    train-ref     the same with stepper="reference" (the readable step)
    cli-numpy     softmax_parity.backends.train("numpy", ...) on uint8 pixels (what
                  `softmax-parity train --backend numpy` runs)
    naive         a 12-line NumPy SGD loop as a user would write it, BLAS on one thread
    jax-jit-epoch when JAX is installed: the bench's JAX contender (softmax_parity.bench),
                  E epochs of the same protocol, one jitted call per epoch
Per contender: the median over rounds of the wall time per epoch (the whole call divided by
E, so train()'s input checks count too). The load average before and after is recorded: on a
busy machine the ratios mean little.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import numpy_softmax as ns
from numpy_softmax.data import ScaledRows, atomic_write
from softmax_parity import backends
from softmax_parity.bench import peers
from softmax_parity.bench.contenders import Data, initial_params, make_contender


def naive(X, y, epochs, lr=0.01, B=128, seed=0):
    rng = np.random.default_rng(seed)
    W = (rng.standard_normal((X.shape[1], 10)) * 0.01).astype(np.float32)
    b = np.zeros(10, np.float32)
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for s in range(X.shape[0] // B):
            idx = order[s * B:(s + 1) * B]
            Xb, yb = X[idx], y[idx]
            Z = Xb @ W + b
            P = np.exp(Z - Z.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            P[np.arange(B), yb] -= 1
            P /= B
            W -= lr * (Xb.T @ P)
            b -= lr * P.sum(axis=0)
    return W, b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    d = ns.load_mnist()
    X, y = d.train.images, d.train.labels
    cfg = ns.TrainConfig(epochs=args.epochs)

    def one_blas_naive():
        with threadpool_limits(1, "blas"):
            naive(X, y, args.epochs)

    runs = {
        "train-api": lambda: ns.train(X, y, cfg),
        "train-exact": lambda: ns.train(X, y, cfg, stepper="exact"),
        "train-ref": lambda: ns.train(X, y, cfg, stepper="reference"),
        "cli-numpy": lambda: backends.train("numpy", ScaledRows(d.train.pixels, 1 / 255), y,
                                            cfg),
        "naive": one_blas_naive,
    }
    if peers.unavailable("jax") is None:
        data = Data(d.train.pixels, d.train.labels)
        jax = make_contender("jax-jit-epoch", data, cfg, initial_params(data, cfg))

        def jax_epochs():
            for e in range(args.epochs):
                jax.epoch(ns.epoch_order(data.n, cfg, e), e)
        runs["jax-jit-epoch"] = jax_epochs
    names = list(runs)
    times = {n: [] for n in names}
    load_before = os.getloadavg()
    runs["train-api"]()  # warm-up: caches, page faults
    for r in range(args.rounds):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            t0 = time.perf_counter()
            runs[n]()
            times[n].append((time.perf_counter() - t0) / args.epochs)
    load_after = os.getloadavg()
    ms = {n: 1e3 * float(np.median(v)) for n, v in times.items()}
    rec = {"ms_per_epoch": ms, "all_ms": {n: [1e3 * t for t in v] for n, v in times.items()},
           "naive_over_train_api": ms["naive"] / ms["train-api"],
           "jax_over_train_api": (ms["jax-jit-epoch"] / ms["train-api"]
                                  if "jax-jit-epoch" in ms else None),
           "train_api_over_cli": ms["train-api"] / ms["cli-numpy"],
           "epochs": args.epochs, "rounds": args.rounds,
           "load_before": load_before, "load_after": load_after, "cpus": os.cpu_count(),
           "numpy": np.__version__, "python": platform.python_version(),
           "blas": [{k: i.get(k) for k in ("internal_api", "version", "architecture",
                                           "num_threads")} for i in threadpool_info()]}
    for n in names:
        print(f"{n:10s} {ms[n]:7.1f} ms/epoch")
    print(f"naive / train-api = {rec['naive_over_train_api']:.2f}x;  train-api / cli-numpy = "
          f"{rec['train_api_over_cli']:.2f};  load {load_before[0]:.2f} -> {load_after[0]:.2f}")
    if rec["jax_over_train_api"] is not None:
        print(f"jax-jit-epoch / train-api = {rec['jax_over_train_api']:.2f}x")
    if args.out:
        atomic_write(args.out, json.dumps(rec, indent=2).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
