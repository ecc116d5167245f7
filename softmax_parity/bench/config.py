"""The bench's names (contenders, sections) and its settings (BenchConfig)."""
from __future__ import annotations

from dataclasses import dataclass

from numpy_softmax.tolerances import BENCH_LOSS_RTOL

from . import peers

NUMPY = ("numpy-fast-u8", "numpy-fast-f32", "numpy-exact-u8", "numpy-ref")
TF = ("tf-graph-seed", "tf-graph-best", "tf-function-step", "tf-function-epoch",
      "tf-function-epoch-xla", "keras-fit")
CONTENDERS = NUMPY + TF
ALL_CONTENDERS = CONTENDERS + peers.CONTENDERS  # the CLI's default: peers when installed
SECTIONS = ("epochs", "sweep", "ops", "threads", "floor", "memory")
PEERS = tuple(peers.DISTRIBUTIONS)  # optional libraries; skipped when absent
LOSS_RTOL = BENCH_LOSS_RTOL  # final losses must agree this closely (numpy_softmax.tolerances)


def blas_limit(threads: int | None, own: int) -> int | None:
    """The BLAS thread limit of a NumPy contender whose train() runs it on `own` threads, for
    BenchConfig.blas_threads = threads (None: own; 0: no limit, the process default)."""
    return own if threads is None else (threads or None)


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
    blas_threads: int | None = None  # for the NumPy contenders: None as train() runs each
    #                                  (its stepper's `threads`), 0 the process default, or N
    memory_epochs: int = 1

    @classmethod
    def quick(cls, **kw):
        return cls(**{**dict(warmup=1, repeats=3, batch_sizes=(1, 16, 128, 1024, 4096),
                             sweep_seconds=0.15, op_seconds=0.05), **kw})
