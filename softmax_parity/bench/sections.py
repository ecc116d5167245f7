"""The sections of a bench and `run`, which runs the chosen ones into one record."""
from __future__ import annotations

import dataclasses
import time

from numpy_softmax import TrainConfig

from .. import versions
from . import peers
from .config import NUMPY, BenchConfig
from .contenders import Data, tf_available
from .epochs import bench_epochs, bench_sweep
from .machine import busy, coretype_unset_by_bench, load_average, machine
from .memory import bench_memory
from .ops import bench_floor, bench_ops, bench_threads

RUNNERS = {"epochs": bench_epochs, "sweep": bench_sweep, "ops": bench_ops,
           "threads": bench_threads, "floor": bench_floor}  # and "memory", run in children


def run(pixels, labels, bc: BenchConfig = BenchConfig(), *, memory_backends=(),
        data_args=(), command: str | None = None, say=print) -> dict:
    """Run the chosen sections on training rows (uint8 pixels (N, D), ids (N,)); returns
    the full result (also what bench.json holds). A contender that cannot run here (a peer
    that does not import, TF when TensorFlow is absent) is left out; a peer says why in
    the record's skipped_contenders. `command`: the command line, for the record."""
    config = TrainConfig()
    skipped = peers.skipped(bc.contenders)  # peers that do not import: {name: why}
    contenders = tuple(c for c in bc.contenders if c not in skipped and (
        c in NUMPY or c in peers.CONTENDERS or tf_available()))
    bc = dataclasses.replace(bc, contenders=contenders, sweep_contenders=tuple(
        c for c in bc.sweep_contenders if c in contenders))
    n = pixels.shape[0] if bc.train_size is None else min(bc.train_size, pixels.shape[0])
    data = Data(pixels[:n], labels[:n])
    result = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
              "bench_config": dataclasses.asdict(bc), "train_config": config.to_dict(),
              "train_rows": n, "peers": peers.status(contenders + tuple(skipped)),
              "skipped_contenders": skipped,
              "sections": {}}
    if tf_available():
        from . import tf
        result["machine"]["tf_threads"] = tf.threads()
    t0 = time.perf_counter()
    for name in bc.sections:
        say(f"[{name}]")
        if name == "memory":
            result["sections"][name] = bench_memory(bc, list(memory_backends), list(data_args),
                                                    say)
        else:
            result["sections"][name] = RUNNERS[name](data, bc, config, say)
    result["seconds"] = time.perf_counter() - t0
    result["machine"]["load_average_end"] = load_average()
    m = result["machine"]
    result["busy"] = busy(m["load_average"], m["load_average_end"], m["usable_cpus"])
    result["machine"]["blas_after"] = versions.blas_info()  # the kernel that actually ran
    if command is not None:
        result["command"] = command
        result["machine"]["OPENBLAS_CORETYPE_unset_by_bench"] = coretype_unset_by_bench()
    return result
