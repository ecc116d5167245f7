"""`softmax-parity bench`: how fast each way of training the seed's model runs on this CPU.

Dimensions: N training rows, D = 784 features, C = 10 classes, B batch size, S = N // B steps.

Sections (each returns a JSON-able dict; `run` collects them into one record):
    epochs   ms per epoch and examples/s at the seed's protocol (B = 128, lr 0.01), every
             contender in one process, the order of contenders rotated each round, warm-up
             rounds discarded; median, min, max; each contender's final loss      (epochs)
    sweep    examples/s against batch size (1 .. 4096), per contender             (epochs)
    ops      time per call at B = 128: logits, softmax, cross-entropy, gradients, one SGD step;
             NumPy vs TF eager vs tf.function                                      (ops)
    threads  the NumPy epochs and their two GEMMs with 1 and 2 BLAS threads        (ops)
    floor    what bounds the NumPy epoch: each stage of the fast step timed over an epoch,
             memory bandwidth, and a large GEMM's GFLOP/s for scale                (ops)
    memory   peak resident memory of `softmax-parity train --backend X`, one
             subprocess each                                                       (memory)
Contenders (contenders, tf, peers): steppers of the one loop (numpy_softmax.loop), every one
timed through loop.sgd_steps. The NumPy ones, the TF ones (imported only when asked for), and
the optional JAX and PyTorch peers, run only when they import, otherwise recorded as skipped
with the reason. The record, tables and charts: report; the machine: machine.
"""
from . import peers
from .config import (ALL_CONTENDERS, CONTENDERS, LOSS_RTOL, NUMPY, PEERS, SECTIONS, TF,
                     BenchConfig)
from .contenders import Contender, Data, make_contender, tf_available
from .epochs import bench_epochs, bench_sweep, leads
from .machine import (NATIVE_BLAS_FLAG, coretype_unset_by_bench, cpu_model, machine,
                      rerun_with_native_blas)
from .memory import bench_memory
from .ops import bench_floor, bench_ops, bench_threads, numpy_op_callables
from .report import charts, save, table
from .sections import RUNNERS, run
from .timing import stats, time_call

__all__ = [
    "BenchConfig", "run", "table", "charts", "save", "SECTIONS", "CONTENDERS", "ALL_CONTENDERS",
    "NUMPY", "TF", "PEERS", "LOSS_RTOL", "RUNNERS", "Data", "Contender", "make_contender",
    "tf_available", "leads", "bench_epochs", "bench_sweep", "bench_ops", "bench_threads",
    "bench_floor", "bench_memory", "numpy_op_callables", "machine", "cpu_model", "stats",
    "time_call", "peers", "rerun_with_native_blas", "coretype_unset_by_bench",
    "NATIVE_BLAS_FLAG",
]
