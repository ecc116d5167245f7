"""`softmax-parity bench`: how fast each way of training the seed's model runs on this CPU.

Dimensions: N training rows, D = 784 features, C = 10 classes, B batch size, S = N // B steps.

Sections (each returns a JSON-able dict; `run` collects them):
    epochs   ms per epoch and examples/s at the seed's protocol (B = 128, lr 0.01), every
             contender in one process, the order of contenders rotated each round, warm-up
             rounds discarded; median, min, max; each contender's final loss
    sweep    examples/s against batch size (1 .. 4096), per contender
    ops      time per call at B = 128: logits, softmax, cross-entropy, gradients, one SGD step;
             NumPy vs TF eager vs tf.function
    threads  the NumPy epochs and their two GEMMs with 1 and 2 BLAS threads (threadpoolctl)
    floor    what bounds the NumPy epoch: each stage of the fast step timed over an epoch,
             memory bandwidth, and a large GEMM's GFLOP/s for scale
    memory   peak resident memory of `softmax-parity train --backend X`, one subprocess each
Contenders: numpy-fast-u8 (fast_epoch on uint8 pixels), numpy-fast-f32 (fast_epoch on float32
images), numpy-ref (the readable sgd_epoch), and the TF ones of softmax_parity.bench_tf.
Optional peers (softmax_parity.bench_peers): jax-jit-step, jax-jit-epoch, torch-step, run only
when JAX / PyTorch import; otherwise recorded as skipped with the reason.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from numpy_softmax import FastStepper, ReferenceStepper, TrainConfig, init_params, loop
from numpy_softmax.data import ScaledRows
from numpy_softmax.loop import epoch_order, steps_per_epoch
from numpy_softmax.threads import blas_threads

from . import bench_peers, versions

NUMPY = ("numpy-fast-u8", "numpy-fast-f32", "numpy-ref")
TF = ("tf-graph-seed", "tf-graph-best", "tf-function-step", "tf-function-epoch",
      "tf-function-epoch-xla")
CONTENDERS = NUMPY + TF
ALL_CONTENDERS = CONTENDERS + bench_peers.CONTENDERS  # the CLI's default: peers when installed
SECTIONS = ("epochs", "sweep", "ops", "threads", "floor", "memory")
PEERS = tuple(bench_peers.DISTRIBUTIONS)  # optional libraries; skipped when absent
LOSS_RTOL = 1e-5  # final losses must agree this closely (float32 runs differ by ~1e-7)


@dataclass(frozen=True)
class BenchConfig:
    warmup: int = 1            # untimed rounds first (TF traces, XLA compiles, caches warm)
    repeats: int = 5           # timed rounds; median, min and max are reported
    train_size: int | None = None  # rows of the training set (None: all 55,000)
    contenders: tuple = CONTENDERS
    sections: tuple = SECTIONS
    batch_sizes: tuple = (1, 4, 16, 64, 128, 256, 1024, 4096)
    sweep_contenders: tuple = ("numpy-fast-u8", "numpy-ref", "tf-graph-seed", "tf-graph-best",
                               "tf-function-step", "tf-function-epoch",
                               "tf-function-epoch-xla")
    sweep_seconds: float = 0.3  # each sweep point runs whole steps for at least this long
    op_batch: int = 128
    op_seconds: float = 0.1    # each op is called in a loop for at least this long
    blas_threads: int | None = 1  # for the NumPy contenders, as the numpy backend runs them;
    #                               None: the process default
    memory_epochs: int = 1

    @classmethod
    def quick(cls, **kw):
        return cls(**{**dict(warmup=1, repeats=3, batch_sizes=(1, 16, 128, 1024, 4096),
                             sweep_seconds=0.15, op_seconds=0.05), **kw})


# --- timing helpers ------------------------------------------------------------------------

def stats(seconds: list) -> dict:
    s = np.asarray(seconds, dtype=np.float64)
    return {"median_s": float(np.median(s)), "min_s": float(s.min()), "max_s": float(s.max()),
            "n": int(s.size)}


def time_call(f, min_seconds: float, repeats: int) -> dict:
    """Seconds per call of f(): the loop count doubles until one loop takes min_seconds,
    then `repeats` loops are timed."""
    f()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        if time.perf_counter() - t0 >= min_seconds or n >= 1 << 20:
            break
        n *= 2
    per = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        per.append((time.perf_counter() - t0) / n)
    return {**stats(per), "calls_per_loop": n}


# --- contenders ----------------------------------------------------------------------------

class Contender:
    """A stepper of the one loop, timed through loop.sgd_steps, under a BLAS thread limit
    (None: BLAS as it is)."""

    def __init__(self, stepper, threads=None):
        self.stepper, self.threads = stepper, threads

    def epoch(self, order: np.ndarray, epoch: int) -> list:
        with blas_threads(self.threads):
            return loop.sgd_steps(self.stepper, order, epoch=epoch)[0]

    def close(self) -> None:
        if hasattr(self.stepper, "close"):
            self.stepper.close()


class Data:
    """The training rows once, in the forms the contenders take: uint8 pixels (N, D), the
    loader's float32 images (N, D) made from them, class ids (N,)."""

    def __init__(self, pixels: np.ndarray, labels: np.ndarray):
        self.pixels = np.ascontiguousarray(pixels)
        self.scaled = ScaledRows(self.pixels, 1 / 255)
        self.images = self.scaled.materialize()  # (N, D) float32, = Split.images
        self.labels = np.asarray(labels, dtype=np.int64)
        self.n = self.labels.shape[0]
        self._tf_shared: dict = {}
        self._peers_shared: dict = {}


def make_contender(name: str, data: Data, config: TrainConfig, params, threads=None):
    if name == "numpy-fast-u8":
        return Contender(FastStepper(data.scaled, data.labels, config, params), threads)
    if name == "numpy-fast-f32":
        return Contender(FastStepper(data.images, data.labels, config, params), threads)
    if name == "numpy-ref":
        return Contender(ReferenceStepper(data.images, data.labels, config, params), threads)
    if name in bench_peers.CONTENDERS:
        return bench_peers.make(name, data.images, data.labels, config, params,
                                threads=threads, shared=data._peers_shared)
    from . import bench_tf
    return Contender(bench_tf.make(name, data.images, data.labels, config, params,
                                   data._tf_shared))


def tf_available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def peers(contenders=()) -> dict:
    return bench_peers.status(contenders)


# --- sections ------------------------------------------------------------------------------

def bench_epochs(data: Data, bc: BenchConfig, config: TrainConfig, say=print) -> dict:
    """Every contender trains epochs 0, 1, ... from the same init in the same batch order;
    round r times epoch r of each, the contenders' order rotated by r."""
    names = list(bc.contenders)
    if not names:
        return {"skipped": "none of the contenders asked for is available", "contenders": {}}
    params = init_params(data.pixels.shape[1], 10, seed=config.seed, stddev=config.init_stddev)
    cs = {n: make_contender(n, data, config, params, bc.blas_threads) for n in names}
    S = steps_per_epoch(data.n, config)
    times = {n: [] for n in names}
    last = {}
    try:
        for r in range(bc.warmup + bc.repeats):
            order = epoch_order(data.n, config, r)
            k = r % len(names)
            for n in names[k:] + names[:k]:
                t0 = time.perf_counter()
                losses = cs[n].epoch(order, r)
                dt = time.perf_counter() - t0
                if r >= bc.warmup:
                    times[n].append(dt)
                last[n] = float(sum(losses) / len(losses))  # the epoch's mean loss
            say(f"  round {r + 1}/{bc.warmup + bc.repeats}"
                f"{' (warm-up)' if r < bc.warmup else ''} done")
    finally:
        for c in cs.values():
            c.close()
    ref = last.get("numpy-ref", last.get(names[0]))
    out = {}
    for n in names:
        st = stats(times[n])
        out[n] = {**st, "ms_per_epoch": 1e3 * st["median_s"],
                  "examples_per_s": S * config.batch_size / st["median_s"],
                  "final_loss": last[n], "final_epoch": bc.warmup + bc.repeats - 1,
                  "loss_rel_diff_vs_ref": abs(last[n] - ref) / abs(ref)}
    seed = out.get("tf-graph-seed")
    for v in out.values():
        v["speedup_vs_tf_graph_seed"] = seed["median_s"] / v["median_s"] if seed else None
    return {"steps_per_epoch": S, "batch_size": config.batch_size, "contenders": out,
            "loss_rtol": LOSS_RTOL,
            "losses_agree": all(v["loss_rel_diff_vs_ref"] <= LOSS_RTOL for v in out.values()),
            "targets": targets(out)}


def targets(out: dict) -> dict:
    """Issue 5's goals for the numpy backend's epoch (numpy-fast-u8): at least 5x faster than
    the seed's tf-graph loop, faster than every TF variant, the same final loss to 1e-5."""
    me = out.get("numpy-fast-u8")
    if me is None:
        return {}
    tf = {n: v for n, v in out.items() if n.startswith("tf")}
    got = {"same_final_loss_1e-5": me["loss_rel_diff_vs_ref"] <= LOSS_RTOL and all(
        abs(v["final_loss"] - me["final_loss"]) <= LOSS_RTOL * abs(me["final_loss"])
        for v in out.values())}
    if "tf-graph-seed" in tf:
        x = tf["tf-graph-seed"]["median_s"] / me["median_s"]
        got["speedup_vs_tf_graph_seed"] = x
        got["at_least_5x_vs_tf_graph_seed"] = x >= 5
    if tf:
        fastest = min(tf, key=lambda n: tf[n]["median_s"])
        got["fastest_tf"] = fastest
        got["faster_than_every_tf"] = me["median_s"] < tf[fastest]["median_s"]
    got.update(bench_peers.targets(out, me))
    return got


def bench_sweep(data: Data, bc: BenchConfig, config: TrainConfig, say=print) -> dict:
    """Examples per second against batch size: for each B, each contender runs whole steps
    (the first S' batches of an epoch) for at least sweep_seconds, repeated, rotated."""
    names = list(bc.sweep_contenders)
    params = init_params(data.pixels.shape[1], 10, seed=config.seed, stddev=config.init_stddev)
    out = {n: {} for n in names}
    for B in bc.batch_sizes:
        cfg = dataclasses.replace(config, batch_size=B)
        S = steps_per_epoch(data.n, cfg)
        if S < 1:
            continue
        cs = {n: make_contender(n, data, cfg, params, bc.blas_threads) for n in names}
        try:
            order = epoch_order(data.n, cfg, 0)
            steps = {}
            for n in names:  # size the run: whole steps for at least sweep_seconds
                s = 1
                while True:
                    cs[n].epoch(order[:s * B], 0)  # warm: traces, XLA compiles per shape
                    t0 = time.perf_counter()
                    cs[n].epoch(order[:s * B], 0)
                    if time.perf_counter() - t0 >= bc.sweep_seconds or s >= S:
                        break
                    s = min(S, s * 4)
                steps[n] = s
            times = {n: [] for n in names}
            for r in range(bc.repeats):
                k = r % len(names)
                for n in names[k:] + names[:k]:
                    t0 = time.perf_counter()
                    cs[n].epoch(order[:steps[n] * B], r)
                    times[n].append(time.perf_counter() - t0)
            for n in names:
                st = stats(times[n])
                out[n][str(B)] = {**st, "steps": steps[n],
                                  "examples_per_s": steps[n] * B / st["median_s"],
                                  "us_per_step": 1e6 * st["median_s"] / steps[n]}
        finally:
            for c in cs.values():
                c.close()
        say(f"  batch {B} done")
    return {"contenders": out}


def numpy_op_callables(params, Xb: np.ndarray, yb: np.ndarray, config: TrainConfig) -> dict:
    from numpy_softmax import kernels
    from numpy_softmax import Params
    from numpy_softmax.sgd import sgd_step
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
    params = init_params(data.pixels.shape[1], 10, seed=config.seed, stddev=config.init_stddev)
    modes = {"numpy": numpy_op_callables(params, Xb, yb, config)}
    if tf_available() and any(c.startswith("tf") for c in bc.contenders):
        from . import bench_tf
        modes.update(bench_tf.op_callables(params, Xb, yb, config.lr))
    out = {}
    with blas_threads(bc.blas_threads):
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
    params = init_params(data.pixels.shape[1], 10, seed=config.seed, stddev=config.init_stddev)
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
    """What bounds the NumPy epoch, on 1 BLAS thread (the fast one here): each stage of a
    fast step timed alone over one epoch's batches, the machine's memory bandwidth, and the
    GFLOP/s of a large single-thread GEMM for scale."""
    B, D = config.batch_size, data.pixels.shape[1]
    S = steps_per_epoch(data.n, config)
    order = epoch_order(data.n, config, 0)
    params = init_params(D, 10, seed=config.seed, stddev=config.init_stddev)
    W = params.W
    Xb = np.empty((B, D), np.float32)
    raw = np.empty((B, D), np.uint8)
    Z = np.empty((B, 10), np.float32)
    dW = np.empty_like(W)

    def over_epoch(f):
        def run():
            for s in range(S):
                f(order[s * B:(s + 1) * B])
        return time_call(run, 0.0, bc.repeats)

    np.take(data.images, order[:B], axis=0, out=Xb)
    stages = {}
    with blas_threads(1):
        stages["gather float32 rows (np.take)"] = over_epoch(
            lambda i: np.take(data.images, i, axis=0, out=Xb, mode="wrap"))
        stages["gather uint8 rows + scale"] = over_epoch(
            lambda i: data.scaled.gather(i, raw, Xb, Xb))
        stages["X[idx] (fresh array)"] = over_epoch(lambda i: data.images[i])
        stages["GEMM X @ W"] = over_epoch(lambda i: np.matmul(Xb, W, out=Z))
        stages["GEMM X.T @ dZ"] = over_epoch(lambda i: np.matmul(Xb.T, Z, out=dW))
        for name, X in (("u8", data.scaled), ("f32", data.images)):
            fast = Contender(FastStepper(X, data.labels, config, params))
            stages[f"fast step ({name}), whole epoch"] = time_call(
                lambda: fast.epoch(order, 0), 0.0, bc.repeats)
        big = np.ones((1024, 1024), np.float32)
        g = time_call(lambda: big @ big, 0.2, bc.repeats)
    for v in stages.values():
        v["ms_per_epoch"] = 1e3 * v["median_s"]
    gemm_ms = stages["GEMM X @ W"]["ms_per_epoch"] + stages["GEMM X.T @ dZ"]["ms_per_epoch"]
    stages["rest of the fast step (u8), by difference"] = {
        "ms_per_epoch": stages["fast step (u8), whole epoch"]["ms_per_epoch"] - gemm_ms
        - stages["gather uint8 rows + scale"]["ms_per_epoch"]}
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
        "copy_bandwidth_GBps": bw / 1e9,
        "large_gemm_GFLOPs_1thread": 2 * 1024 ** 3 / g["median_s"] / 1e9,
        "epoch_gemm_GFLOP": flops_epoch / 1e9,
        "epoch_gemm_GFLOPs_achieved": flops_epoch / (gemm_ms / 1e3) / 1e9,
        "floor_ms": {
            "two GEMMs per step (measured, 1 thread)": gemm_ms,
            "two GEMMs at the large-GEMM rate": flops_epoch / (2 * 1024 ** 3 / g["median_s"])
            * 1e3,
            "read float32 training set once": 1e3 * src.nbytes / (bw / 2),
            "read uint8 training set once": 1e3 * data.pixels.nbytes / (bw / 2),
        },
    }


# Runs `softmax-parity ARGS` in a child and reports the child's own VmHWM (peak RSS) at exit.
# Not ru_maxrss from wait4: Linux carries the RSS peak of the process that spawned the child
# across exec, so a child of this (large, TF-loaded) process would report this process's peak.
_CHILD = """
import sys
from softmax_parity.cli import main
try:
    code = main(sys.argv[1:])
finally:
    with open("/proc/self/status") as f:
        hwm = [line.split()[1] for line in f if line.startswith("VmHWM")]
    sys.stderr.write("\\nsoftmax-parity-bench VmHWM kB " + (hwm[0] if hwm else "?") + "\\n")
sys.exit(code)
"""


def bench_memory(bc: BenchConfig, backends: list, data_args: list, say=print) -> dict:
    """Peak resident memory (VmHWM) of `softmax-parity train --backend X --epochs E --quiet`,
    each in its own child process, one at a time."""
    if not os.path.exists("/proc/self/status"):
        return {"skipped": "needs Linux /proc to read a process's peak resident memory"}
    out = {}
    for b in backends:
        args = ["train", "--backend", b, "--epochs", str(bc.memory_epochs), "--quiet",
                *data_args]
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True,
                           text=True)
        hwm = [line.split()[-1] for line in p.stderr.splitlines()
               if line.startswith("softmax-parity-bench VmHWM kB ")]
        peak = int(hwm[-1]) * 1024 / 1e6 if hwm and hwm[-1].isdigit() else None
        out[b] = {"peak_rss_MB": peak, "exit_code": p.returncode,
                  "seconds": time.perf_counter() - t0,
                  "command": "softmax-parity " + " ".join(args),
                  "last_line": (p.stdout.strip().splitlines() or [""])[-1]}
        say(f"  {b}: {peak if peak is None else round(peak)} MB")
    return {"backends": out, "target_numpy_MB": 300}


# --- the machine ---------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    info = {"cpu": cpu_model(), "logical_cpus": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "blas": versions.blas_info(), "versions": versions.versions()}
    try:
        with open("/proc/meminfo") as f:
            info["memory_total_MB"] = int(f.readline().split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return info


# --- running and reporting -----------------------------------------------------------------

RUNNERS = {"epochs": bench_epochs, "sweep": bench_sweep, "ops": bench_ops,
           "threads": bench_threads, "floor": bench_floor}


def run(pixels, labels, bc: BenchConfig = BenchConfig(), *, memory_backends=(),
        data_args=(), say=print) -> dict:
    """Run the chosen sections on training rows (uint8 pixels (N, D), ids (N,)); returns
    the full result (also what bench.json holds)."""
    config = TrainConfig()
    skipped = bench_peers.skipped(bc.contenders)  # peers that do not import: {name: why}
    contenders = tuple(c for c in bc.contenders if c not in skipped and (
        c in NUMPY or c in bench_peers.CONTENDERS or tf_available()))
    bc = dataclasses.replace(bc, contenders=contenders, sweep_contenders=tuple(
        c for c in bc.sweep_contenders if c in contenders))
    n = pixels.shape[0] if bc.train_size is None else min(bc.train_size, pixels.shape[0])
    data = Data(pixels[:n], labels[:n])
    result = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
              "bench_config": dataclasses.asdict(bc), "train_config": config.to_dict(),
              "train_rows": n, "peers": peers(contenders + tuple(skipped)),
              "skipped_contenders": skipped,
              "sections": {}}
    if tf_available():
        from . import bench_tf
        result["machine"]["tf_threads"] = bench_tf.threads()
    t0 = time.perf_counter()
    for name in bc.sections:
        say(f"[{name}]")
        if name == "memory":
            result["sections"][name] = bench_memory(bc, list(memory_backends), list(data_args),
                                                    say)
        else:
            result["sections"][name] = RUNNERS[name](data, bc, config, say)
    result["seconds"] = time.perf_counter() - t0
    result["machine"]["load_average_end"] = (list(os.getloadavg())
                                             if hasattr(os, "getloadavg") else None)
    result["machine"]["blas_after"] = versions.blas_info()  # the kernel that actually ran
    return result


def table(result: dict) -> str:
    """The figures as plain-text tables."""
    lines = []
    m = result["machine"]
    kernel = ", ".join(f"{b['internal_api']} {b['version']} {b['architecture']} "
                       f"({b['num_threads']} threads)" for b in m.get("blas_after", []))
    lines.append(f"{m['cpu']}, {m['usable_cpus']} CPUs, load {m['load_average']} -> "
                 f"{m['load_average_end']}; BLAS: {kernel or 'unknown'}")
    s = result["sections"]
    if "epochs" in s and s["epochs"]["contenders"]:
        e = s["epochs"]
        lines.append(f"\nepoch at the seed's protocol ({e['steps_per_epoch']} steps of "
                     f"{e['batch_size']}), {result['bench_config']['repeats']} timed rounds")
        lines.append(f"{'contender':24s} {'median ms':>10s} {'min':>8s} {'max':>8s} "
                     f"{'examples/s':>11s} {'x tf-seed':>9s} {'final loss':>11s} "
                     f"{'rel diff':>9s}")
        for n, v in e["contenders"].items():
            x = v.get("speedup_vs_tf_graph_seed")
            lines.append(f"{n:24s} {1e3 * v['median_s']:10.1f} {1e3 * v['min_s']:8.1f} "
                         f"{1e3 * v['max_s']:8.1f} {v['examples_per_s']:11.0f} "
                         f"{'-' if x is None else f'{x:.2f}':>9s} "
                         f"{v['final_loss']:11.6f} {v['loss_rel_diff_vs_ref']:9.1e}")
        if e.get("targets"):
            lines.append("targets: " + ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                for k, v in e["targets"].items()))
    if "sweep" in s:
        sw = s["sweep"]["contenders"]
        sizes = sorted({int(b) for v in sw.values() for b in v})
        lines.append("\nexamples/s by batch size")
        lines.append(f"{'contender':24s}" + "".join(f"{b:>10d}" for b in sizes))
        for n, v in sw.items():
            lines.append(f"{n:24s}" + "".join(
                f"{v[str(b)]['examples_per_s']:10.0f}" if str(b) in v else f"{'-':>10s}"
                for b in sizes))
    if "ops" in s:
        o = s["ops"]["modes"]
        ops = list(next(iter(o.values())))
        lines.append(f"\nus per call at batch {s['ops']['batch_size']}")
        lines.append(f"{'op':32s}" + "".join(f"{mode:>13s}" for mode in o))
        for op in ops:
            lines.append(f"{op:32s}" + "".join(
                f"{o[mode][op]['us_per_call']:13.1f}" if op in o[mode] else f"{'-':>13s}"
                for mode in o))
    if "threads" in s and "epochs" in s["threads"]:
        t = s["threads"]
        lines.append("\nBLAS threads (ms per epoch; GEMMs: us per call and ms per epoch)")
        for n, v in t["epochs"].items():
            lines.append(f"{n:32s} {v['ms_per_epoch']:9.1f} ms")
        for n, v in t["gemms"].items():
            lines.append(f"{n:32s} {v['us_per_call']:9.1f} us  {v['ms_per_epoch']:7.1f} ms")
    if "floor" in s:
        f = s["floor"]
        lines.append("\nwhat bounds the numpy epoch (1 BLAS thread, ms per epoch)")
        for n, v in f["stages"].items():
            lines.append(f"{n:40s} {v['ms_per_epoch']:8.1f}")
        for n, v in f["floor_ms"].items():
            lines.append(f"floor: {n:33s} {v:8.1f}")
        lines.append(f"copy bandwidth {f['copy_bandwidth_GBps']:.1f} GB/s; large GEMM "
                     f"{f['large_gemm_GFLOPs_1thread']:.0f} GFLOP/s; the step GEMMs reach "
                     f"{f['epoch_gemm_GFLOPs_achieved']:.0f} GFLOP/s")
    if "memory" in s:
        lines.append("\npeak resident memory of `softmax-parity train`")
        for n, v in s["memory"]["backends"].items():
            mb = "?" if v["peak_rss_MB"] is None else f"{v['peak_rss_MB']:.0f}"
            lines.append(f"{n:24s} {mb:>8s} MB  (exit {v['exit_code']})")
    lines.append("\npeers: " + "; ".join(f"{k}: {v}" for k, v in result["peers"].items()))
    return "\n".join(lines)


def charts(result: dict, out_dir: str) -> list:
    """PNG charts of the sections present; returns the files written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .atomic import write_bytes
    import io
    written = []

    def save(fig, name):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        path = os.path.join(out_dir, name)
        write_bytes(path, buf.getvalue())
        written.append(path)

    s = result["sections"]
    if "epochs" in s and s["epochs"]["contenders"]:
        c = s["epochs"]["contenders"]
        names = list(c)
        med = [1e3 * c[n]["median_s"] for n in names]
        lo = [m - 1e3 * c[n]["min_s"] for m, n in zip(med, names)]
        hi = [1e3 * c[n]["max_s"] - m for m, n in zip(med, names)]
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.2))
        ax.barh(names, med, xerr=[lo, hi], color=["C0" if n.startswith("numpy") else "C1"
                                                   for n in names], capsize=3)
        ax.invert_yaxis()
        ax.set_xlabel("ms per epoch (median; whiskers min..max)")
        ax.set_title("One epoch at the seed's protocol (429 steps of 128)")
        for i, (m, h) in enumerate(zip(med, hi)):
            ax.text(m + h, i, f"  {m:.0f}", va="center")
        ax.set_xlim(0, max(m + h for m, h in zip(med, hi)) * 1.12)
        save(fig, "epochs.png")
    if "sweep" in s:
        fig, ax = plt.subplots(figsize=(8, 5))
        for n, v in s["sweep"]["contenders"].items():
            bs = sorted(int(b) for b in v)
            ax.plot(bs, [v[str(b)]["examples_per_s"] for b in bs], marker="o", label=n)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("batch size")
        ax.set_ylabel("examples per second")
        ax.set_title("Training throughput against batch size")
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
        save(fig, "sweep.png")
    if "ops" in s:
        o = s["ops"]["modes"]
        ops = [op for op in next(iter(o.values())) if all(op in o[m] for m in o)]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        w = 0.8 / len(o)
        for i, mode in enumerate(o):
            ax.bar(np.arange(len(ops)) + i * w, [o[mode][op]["us_per_call"] for op in ops],
                   w, label=mode)
        ax.set_xticks(np.arange(len(ops)) + 0.4 - w / 2, ops)
        ax.set_yscale("log")
        ax.set_ylabel(f"us per call (batch {s['ops']['batch_size']})")
        ax.set_title("Per-op time")
        ax.legend()
        save(fig, "ops.png")
    return written


def save(result: dict, out_dir: str, with_charts: bool = True) -> list:
    from .atomic import write_json
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "bench.json")
    write_json(path, json.loads(json.dumps(result, default=_jsonable)))
    files = [path]
    if with_charts:
        files += charts(result, out_dir)
    return files


def _jsonable(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON: {type(o)}")
