"""--replicas, --workers and --demo-mistake: how `train` and `compare` run tf-distributed.

--replicas K   MirroredStrategy over K logical CPU devices of this process. TF can split the
               CPU only before it starts, so apply() runs first in a command, before any TF
               import (backends.set_distributed); a process whose TF already started with
               another count is refused (in tests: run the CLI in a fresh process).
--workers K    MultiWorkerMirroredStrategy with K worker processes on this machine: the command
               becomes a launcher (softmax_parity.workers) that starts K copies of itself, each
               with its TF_CONFIG, and shows the chief's output.
--demo-mistake per-replica-mean
               each replica averages the loss over its own shard: every step K times too large.
"""
from __future__ import annotations

import os

from . import backends
from .errors import UsageError

WORKER_ENV = "SOFTMAX_PARITY_WORKER"  # set in the workers the launcher starts: "index/count"


def add_args(p, backend_flag: str) -> None:
    """The flags of tf-distributed; backend_flag names the flag that chooses it (--backend or
    --tf), for the messages."""
    g = p.add_argument_group("tf-distributed (tf.distribute)")
    g.add_argument("--replicas", type=int, default=None, metavar="K",
                   help=f"with {backend_flag} tf-distributed: K replicas under "
                        "MirroredStrategy on K logical CPU devices (default 1)")
    g.add_argument("--workers", type=int, default=None, metavar="K",
                   help=f"with {backend_flag} tf-distributed: K worker processes on this "
                        "machine under MultiWorkerMirroredStrategy (the CLI starts and stops "
                        "them)")
    g.add_argument("--demo-mistake", choices=["per-replica-mean"], default=None,
                   help="train with the classic mistake: each replica averages its loss over "
                        "its own shard, so every step is K times too large (compare catches it)")
    g.add_argument("--worker-timeout", type=float, default=60.0, metavar="S",
                   help="with --workers: a worker that dies or stays silent in a collective "
                        "for S seconds ends the run (default 60)")


def in_worker() -> tuple[int, int] | None:
    """(index, count) in a worker process the launcher started, else None."""
    v = os.environ.get(WORKER_ENV)
    if not v:
        return None
    i, k = v.split("/")
    return int(i), int(k)


def apply(args, backend: str) -> bool:
    """Check the flags against the backend and set tf-distributed up (before TF starts).
    Returns True when this process must launch the workers instead of training."""
    replicas, workers, mistake = args.replicas, args.workers, args.demo_mistake
    flag = "--tf" if hasattr(args, "tf") else "--backend"
    if backend != "tf-distributed":
        for name, v in (("--replicas", replicas), ("--workers", workers),
                        ("--demo-mistake", mistake)):
            if v is not None:
                raise UsageError(f"{name} needs {flag} tf-distributed")
        return False
    if replicas is not None and workers is not None:
        raise UsageError("choose --replicas or --workers, not both")
    for name, v in (("--replicas", replicas), ("--workers", workers)):
        if v is not None and v < 1:
            raise UsageError(f"{name} must be >= 1, got {v}")
    if not args.worker_timeout > 0:
        raise UsageError(f"--worker-timeout must be > 0, got {args.worker_timeout}")
    if workers is not None and getattr(args, "checkpoint_dir", None):
        raise UsageError("--checkpoint-dir is not supported with --workers")
    if workers is not None and in_worker() is None:
        return True  # the launcher: softmax_parity.workers
    if workers is not None:
        from .workers import watch_parent
        watch_parent()
        if in_worker()[0] > 0:  # not the chief: its output is discarded, it writes no files
            args.out = args.logdir = None
            args.quiet = True
    backends.set_distributed(replicas or 1, workers=workers is not None, mistake=mistake)
    return False
