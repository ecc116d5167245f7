"""softmax-parity explain: one SGD step, link by link, NumPy next to the TF op."""
from __future__ import annotations

import os

import numpy as np

from numpy_softmax import TrainConfig, init_params
from numpy_softmax.errors import DataError

from .. import explain, runrecord
from ..errors import UsageError
from . import common

N_IMAGES = 3  # the default batch: the first 3 test images


def register(sub) -> None:
    d = TrainConfig()
    p = sub.add_parser("explain", help="print one SGD step link by link: formula, NumPy, TF op",
                       description="For a tiny batch, print each step of the forward and "
                                   "backward pass (logits, max-shift, exp, normalise, "
                                   "log-softmax, cross-entropy, dL/dZ, dL/dW, dL/db, the SGD "
                                   "update): its formula, the NumPy expression, the TF op that "
                                   "computes the same, both results and their largest "
                                   "difference. Default: the first 3 MNIST test images.")
    p.add_argument("--toy", action="store_true",
                   help="a 2-class, 2-feature example small enough to follow by hand")
    p.add_argument("--mask", action="store_true",
                   help="with --toy: a third class, masked (logit -inf) for the first example, "
                        "followed through the whole step")
    p.add_argument("--precision", action="store_true",
                   help="instead of the step: the loss of a confident, correct row computed the "
                        "naive way, by log1p and by TF, each against a 60-digit reference "
                        "(--dtype picks float32 or float64)")
    p.add_argument("--no-tf", action="store_true", help="NumPy only: do not import TensorFlow")
    p.add_argument("--run", metavar="RUN_DIR", help="use the trained parameters of a run "
                   "(params.npz from `train --out`); default: the seed's initial W, b = 0")
    p.add_argument("--lr", type=common.finite_float, default=d.lr,
                   help="SGD step (default %(default)s)")
    p.add_argument("--seed", type=common.positive_int, default=d.seed,
                   help="seed of the initial W (default %(default)s)")
    p.add_argument("--dtype", choices=["float32", "float64"], default=d.dtype,
                   help="float32 (as the seed) or float64")
    common.add_data_args(p)
    p.set_defaults(func=run)


def _mnist_example(args) -> explain.Example:
    dtype = np.dtype(args.dtype)
    if args.run:
        if not os.path.isdir(args.run):
            raise DataError(f"--run {args.run}: no such folder")
        name, params = runrecord.run_params(args.run, runrecord.read_run(args.run))
        params = type(params)(params.W.astype(dtype), params.b.astype(dtype))
        about = f"parameters: trained, from {args.run} ({name} backend)"
    else:
        params = init_params(784, 10, seed=args.seed, stddev=TrainConfig().init_stddev,
                             dtype=dtype)
        about = (f"parameters: the seed's start, W ~ Normal(0, 0.01^2) (seed {args.seed}), "
                 "b = 0")
    data = common.load_data(args, quiet=True)
    if params.W.shape != (data.test.images.shape[1], len(data.class_names)):
        raise DataError(f"W has shape {params.W.shape}; it does not fit {data.name} images")
    X = data.test.images[:N_IMAGES].astype(dtype)  # (N, D)
    y = data.test.labels[:N_IMAGES]  # (N,)
    return explain.Example(X, y, params, args.lr,
                           f"batch: the first {N_IMAGES} {data.name} test images\n{about}")


def run(args) -> int:
    if args.lr <= 0:
        raise UsageError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.precision:
        clash = [f for f, on in (("--toy", args.toy), ("--mask", args.mask), ("--run", args.run))
                 if on]
        if clash:
            raise UsageError(f"--precision works alone, not with {' or '.join(clash)} (it "
                             "prints its own rows, not an SGD step)")
        print(explain.render_precision(args.dtype, use_tf=not args.no_tf))
        return 0
    if args.mask and not args.toy:
        raise UsageError("--mask works with --toy (the masked toy example)")
    if args.toy:
        make = explain.toy_mask_example if args.mask else explain.toy_example
        ex = make(args.lr, args.dtype)
    else:
        ex = _mnist_example(args)
    print(explain.render(ex, use_tf=not args.no_tf))
    return 0
