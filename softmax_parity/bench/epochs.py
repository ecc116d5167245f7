"""The bench's training sections: whole epochs at the seed's protocol (`epochs`) and
throughput against batch size (`sweep`), every contender through loop.sgd_steps.

Dimensions: N training rows, D features, C = 10 classes, B batch size, S = N // B steps.
"""
from __future__ import annotations

import dataclasses
import time

from numpy_softmax import TrainConfig
from numpy_softmax.loop import epoch_order, steps_per_epoch

from . import peers
from .config import LOSS_RTOL, BenchConfig
from .contenders import Data, initial_params, make_contender
from .timing import stats

SEED_LOOP_RATIO = 5  # the speed-up over the seed's TF1 loop that docs/benchmarks.md weighs


def bench_epochs(data: Data, bc: BenchConfig, config: TrainConfig, say=print) -> dict:
    """Every contender trains epochs 0, 1, ... from the same init in the same batch order;
    round r times epoch r of each, the contenders' order rotated by r."""
    names = list(bc.contenders)
    if not names:
        return {"skipped": "none of the contenders asked for is available", "contenders": {}}
    params = initial_params(data, config)
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
            "targets": leads(out)}  # "targets": the key the records carry


def leads(out: dict) -> dict:
    """How the numpy backend's epoch (numpy-fast-u8) stands against the others in `out` (the
    epochs section's contenders): whether every final loss agrees with its own to LOSS_RTOL,
    its speed-up over the seed's tf-graph loop (and whether that reaches SEED_LOOP_RATIO),
    whether it beats the fastest TF contender, and the fastest JAX one (peers.leads).
    {} when numpy-fast-u8 did not run."""
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
        got["at_least_5x_vs_tf_graph_seed"] = x >= SEED_LOOP_RATIO
    if tf:
        fastest = min(tf, key=lambda n: tf[n]["median_s"])
        got["fastest_tf"] = fastest
        got["faster_than_every_tf"] = me["median_s"] < tf[fastest]["median_s"]
    got.update(peers.leads(out, me))
    return got


def bench_sweep(data: Data, bc: BenchConfig, config: TrainConfig, say=print) -> dict:
    """Examples per second against batch size: for each B, each contender runs whole steps
    (the first S' batches of an epoch) for at least sweep_seconds, repeated, rotated."""
    names = list(bc.sweep_contenders)
    params = initial_params(data, config)
    out = {n: {} for n in names}
    for B in bc.batch_sizes:
        cfg = dataclasses.replace(config, batch_size=B)
        S = steps_per_epoch(data.n, cfg)
        if S < 1:
            continue
        cs = {n: make_contender(n, data, cfg, params, bc.blas_threads) for n in names}
        try:
            order = epoch_order(data.n, cfg, 0)
            steps = {n: _sweep_steps(cs[n], order, B, S, bc.sweep_seconds) for n in names}
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


def _sweep_steps(contender, order, B: int, S: int, seconds: float) -> int:
    """The number of whole steps (at most S) that take at least `seconds`, each try warmed by
    an untimed run of the same shape (TF traces, XLA compiles per shape)."""
    s = 1
    while True:
        contender.epoch(order[:s * B], 0)
        t0 = time.perf_counter()
        contender.epoch(order[:s * B], 0)
        if time.perf_counter() - t0 >= seconds or s >= S:
            return s
        s = min(S, s * 4)
