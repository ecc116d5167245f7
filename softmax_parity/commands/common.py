"""Arguments and steps shared by several subcommands."""
from __future__ import annotations

import argparse
import dataclasses
import os

from numpy_softmax import TrainConfig
from numpy_softmax.data import DATASETS, load_mnist

from ..errors import UsageError

_HELP = {
    "epochs": "passes over the training set (seed: 30)",
    "batch_size": "examples per SGD step (seed: 128)",
    "lr": "constant SGD learning rate (seed: 0.01)",
    "seed": "integer seed for the init and the shuffles (default 0)",
    "init_stddev": "stddev of the Normal init of W (seed: 0.01)",
    "dtype": "float32 (as the seed) or float64",
}


def positive_int(s: str) -> int:
    """An integer >= 0 (argparse type); epochs, batch size and seed are checked further by
    TrainConfig, with messages that name them."""
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {v}")
    return v


def finite_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {s!r}")
    return v


def add_config_args(p: argparse.ArgumentParser) -> None:
    """--epochs --batch-size --lr --seed --init-stddev --dtype, defaults from TrainConfig."""
    d = TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        if f.name not in _HELP:
            continue
        flag = "--" + f.name.replace("_", "-")
        default = getattr(d, f.name)
        if f.name == "dtype":
            p.add_argument(flag, choices=["float32", "float64"], default=default,
                           help=_HELP[f.name])
        else:
            typ = positive_int if isinstance(default, int) else finite_float
            p.add_argument(flag, type=typ, default=default,
                           help=f"{_HELP[f.name]}; default %(default)s")


def config_from_args(args) -> TrainConfig:
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    if getattr(args, "epochs", 1) < 1:
        raise UsageError(f"--epochs must be >= 1, got {args.epochs}")
    return TrainConfig(**{k: v for k, v in vars(args).items() if k in names})


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", choices=DATASETS, default="mnist",
                   help="mnist (digits, the seed's) or fashion (Fashion-MNIST)")
    p.add_argument("--data-dir", metavar="PATH", default=None,
                   help="read the data from here: a folder with the four IDX files (gzipped "
                        "or not) or an mnist.npz; default: the cache, else download")
    p.add_argument("--cache-dir", metavar="DIR", default=None,
                   help="cache folder (default $SOFTMAX_PARITY_CACHE, else "
                        "$XDG_CACHE_HOME/softmax-parity, else ~/.cache/softmax-parity)")


def load_data(args, quiet: bool = False):
    if args.data_dir is not None and not os.path.exists(args.data_dir):
        raise UsageError(f"--data-dir {args.data_dir}: no such file or folder")
    if args.cache_dir is not None and os.path.exists(args.cache_dir) and \
            not os.path.isdir(args.cache_dir):
        raise UsageError(f"--cache-dir {args.cache_dir}: exists and is not a folder")
    return load_mnist(args.dataset, path=args.data_dir, cache_dir=args.cache_dir, quiet=quiet)
