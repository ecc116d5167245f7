"""The bench's report: the figures as plain-text tables, PNG charts, and bench.json."""
from __future__ import annotations

import io
import json
import os

import numpy as np

from ..atomic import write_bytes, write_json


def table(result: dict) -> str:
    """The figures as plain-text tables."""
    lines = []
    m = result["machine"]
    kernel = ", ".join(f"{b['internal_api']} {b['version']} {b['architecture']} "
                       f"({b['num_threads']} threads)" for b in m.get("blas_after", []))
    lines.append(f"{m['cpu']}, {m['usable_cpus']} CPUs, load {m['load_average']} -> "
                 f"{m['load_average_end']}; BLAS: {kernel or 'unknown'}")
    if result.get("busy"):
        lines.append(f"WARNING: {result['busy']}")
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
        lines += [f"{n:32s} {v['ms_per_epoch']:9.1f} ms" for n, v in t["epochs"].items()]
        lines += [f"{n:32s} {v['us_per_call']:9.1f} us  {v['ms_per_epoch']:7.1f} ms"
                  for n, v in t["gemms"].items()]
    if "floor" in s:
        f = s["floor"]
        lines.append(f"\nwhat bounds the numpy epoch (the fast mode: {f['fast_gemm_columns']} GEMM "
                     f"columns, {f['fast_blas_threads']} BLAS thread(s); ms per epoch)")
        lines += [f"{n:48s} {v['ms_per_epoch']:8.1f}" for n, v in f["stages"].items()]
        lines += [f"floor: {n:41s} {v:8.1f}" for n, v in f["floor_ms"].items()]
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
        ax.set_title(f"One epoch at the seed's protocol ({s['epochs']['steps_per_epoch']} "
                     f"steps of {s['epochs']['batch_size']})")
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
    """bench.json (and the charts) into out_dir; returns the files written."""
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
