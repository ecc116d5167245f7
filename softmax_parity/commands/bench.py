"""softmax-parity bench: CPU speed of every backend side by side. This module parses the
arguments and prints; the bench itself is softmax_parity.bench."""
from __future__ import annotations

import sys

from numpy_softmax import TrainConfig

from .. import bench, output
from ..errors import UsageError
from . import common


def _csv(choices):
    def parse(s: str) -> tuple:
        items = tuple(x.strip() for x in s.split(",") if x.strip())
        bad = [x for x in items if x not in choices]
        if bad or not items:
            raise UsageError(f"unknown name(s) {', '.join(bad) or '(none)'}; choose from "
                             f"{', '.join(choices)}")
        return items
    return parse


def _ints(s: str) -> tuple:
    try:
        v = tuple(int(x) for x in s.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"--batch-sizes takes integers separated by commas, got {s!r}") from None
    if not v or min(v) < 1:
        raise UsageError(f"--batch-sizes must be integers >= 1, got {s!r}")
    return v


def register(sub) -> None:
    p = sub.add_parser(
        "bench", help="time every backend side by side: epochs, batch sizes, ops, threads, memory",
        description="Time every way this project trains the seed's model, in one process, "
                    "the contenders alternated, with warm-up and repeats. Prints tables and "
                    "writes bench.json (machine, versions, BLAS kernel, every figure) and PNG "
                    "charts to --out.")
    p.add_argument("--out", metavar="DIR", default="bench-results",
                   help="folder for bench.json and the charts (default %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats and batch sizes, shorter timing loops (a few minutes)")
    p.add_argument("--warmup", type=int, default=None, help="untimed rounds first (default 1)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed rounds (epochs per contender after the warm-up; default 5, "
                        "--quick 3)")
    p.add_argument("--sections", default=",".join(bench.SECTIONS),
                   help=f"comma-separated, from {','.join(bench.SECTIONS)} (default: all)")
    p.add_argument("--contenders", default=",".join(bench.ALL_CONTENDERS),
                   help="comma-separated contenders of the epochs section (default: all; "
                        "the JAX and PyTorch peers only when installed)")
    p.add_argument("--batch-sizes", default=None, help="batch sizes of the sweep, e.g. 1,128,4096")
    p.add_argument("--train-size", type=int, default=None,
                   help="use only the first N training rows (default: all 55,000)")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="BLAS threads for the NumPy contenders (default 1, as train() runs "
                        "them; 0: the process default)")
    p.add_argument("--native-blas", action="store_true",
                   help="if OPENBLAS_CORETYPE is set, re-run without it so that OpenBLAS picks "
                        "the kernel for this CPU (the kernel used is recorded either way)")
    p.add_argument("--no-charts", action="store_true", help="write bench.json only")
    p.add_argument("--quiet", action="store_true", help="print only the tables")
    common.add_data_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.native_blas:
        bench.rerun_with_native_blas(sys.argv[1:])
    for name in ("warmup", "repeats", "train_size", "blas_threads"):
        v = getattr(args, name)
        lowest = 0 if name in ("warmup", "blas_threads") else 1
        if v is not None and v < lowest:
            raise UsageError(f"--{name.replace('_', '-')} must be >= {lowest}, got {v}")
    if args.train_size is not None and args.train_size < TrainConfig().batch_size:
        raise UsageError(f"--train-size must be >= the batch size {TrainConfig().batch_size}, "
                         f"got {args.train_size}")
    kw = {"sections": _csv(bench.SECTIONS)(args.sections),
          "contenders": _csv(bench.ALL_CONTENDERS)(args.contenders)}
    for name in ("warmup", "repeats", "train_size", "blas_threads"):
        if getattr(args, name) is not None:
            kw[name] = getattr(args, name)
    if args.batch_sizes:
        kw["batch_sizes"] = _ints(args.batch_sizes)
    bc = bench.BenchConfig.quick(**kw) if args.quick else bench.BenchConfig(**kw)
    out = output.check_out_dir(args.out)
    data = common.load_data(args, quiet=args.quiet)
    say = (lambda *m: None) if args.quiet else (lambda *m: print(*m, flush=True))
    data_args = ["--dataset", args.dataset]
    for flag, v in (("--data-dir", args.data_dir), ("--cache-dir", args.cache_dir)):
        if v is not None:
            data_args += [flag, v]
    result = bench.run(data.train.pixels, data.train.labels, bc,
                       memory_backends=_memory_backends(), data_args=data_args,
                       command="softmax-parity " + " ".join(sys.argv[1:]), say=say)
    print(bench.table(result))
    files = bench.save(result, out, with_charts=not args.no_charts)
    say("wrote " + ", ".join(files))
    return 0


def _memory_backends() -> list:
    from .. import backends
    return list(backends.BACKENDS)
