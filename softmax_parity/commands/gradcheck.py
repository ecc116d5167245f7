"""softmax-parity gradcheck: are the hand-derived gradients right, on real MNIST batches?

NumPy vs finite differences (float64), TF autodiff vs NumPy (float32 and float64) and, with
--demo-mistakes, five deliberately wrong gradients that must be flagged: the checks live in
softmax_parity.gradcheck; this module parses the arguments and prints.
Exit status 0 when everything passes (and every mistake is flagged), 1 otherwise, 2 bad input.
"""
from __future__ import annotations

import json

import numpy as np

from numpy_softmax.tolerances import GRADCHECK_BAR

from .. import gradcheck as gc
from ..errors import UsageError
from . import common


def register(sub) -> None:
    p = sub.add_parser(
        "gradcheck", help="check the hand-derived gradients on MNIST: finite differences and TF",
        description="Check numpy_softmax's hand-derived gradients on real MNIST batches: against "
                    "central finite differences in float64 (numpy_softmax.gradcheck), and against "
                    "TensorFlow's autodiff (GradientTape and tf.gradients) in float32 and "
                    "float64. Exit 0 if all pass, 1 if any check fails.")
    common.add_data_args(p)
    p.add_argument("--batches", type=int, default=2, help="batches to check (default 2)")
    p.add_argument("--batch-size", type=int, default=128, help="rows per batch (default 128)")
    p.add_argument("--steps", type=int, default=100,
                   help="also check after this many SGD steps (lr 0.01) from the init "
                        "(default 100; 0: the init only)")
    p.add_argument("--seed", type=int, default=0, help="init, batch order, sampled entries")
    p.add_argument("--samples", type=int, default=500,
                   help="entries of W (7,840) checked one by one (default 500)")
    p.add_argument("--full", action="store_true",
                   help="check every entry of W (7,840: ~16x the time of 500 samples)")
    p.add_argument("--directions", type=int, default=20,
                   help="random directions v checked as v . grad (default 20)")
    p.add_argument("--h", type=float, default=1e-3, help="finite-difference step (default 1e-3)")
    p.add_argument("--order", type=int, choices=[2, 4], default=4,
                   help="central-difference order (default 4)")
    floor, threshold = (f"{GRADCHECK_BAR[k]:g}".replace("e-0", "e-")  # 1e-5, not 1e-05
                        for k in ("floor", "threshold"))
    p.add_argument("--floor", type=float, default=GRADCHECK_BAR["floor"],
                   help=f"relative-error denominator floor (default {floor})")
    p.add_argument("--threshold", type=float, default=GRADCHECK_BAR["threshold"],
                   help=f"max relative error that passes (default {threshold})")
    p.add_argument("--no-tf", action="store_true", help="skip the TF autodiff comparison")
    p.add_argument("--demo-mistakes", action="store_true",
                   help="also run five deliberately wrong gradients; each must be flagged")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--quiet", action="store_true", help="no download progress")
    p.set_defaults(func=run)


def _validate(args) -> None:
    for name, lo in (("batches", 1), ("batch_size", 1), ("samples", 1), ("directions", 0),
                     ("steps", 0), ("seed", 0)):
        v = getattr(args, name)
        if v < lo:
            raise UsageError(f"--{name.replace('_', '-')} must be >= {lo}, got {v}")
    for name in ("h", "threshold"):
        v = getattr(args, name)
        if not (np.isfinite(v) and v > 0):
            raise UsageError(f"--{name} must be a finite number > 0, got {v}")
    if not (np.isfinite(args.floor) and args.floor >= 0):
        raise UsageError(f"--floor must be a finite number >= 0, got {args.floor}")


def _import_tf(args):
    if args.no_tf:
        return None
    try:
        import tf_softmax
    except ImportError as e:
        raise UsageError(f"TensorFlow is needed for the TF comparison ({e}); install "
                         "softmax-parity[tf] or pass --no-tf") from None
    return tf_softmax


def run(args) -> int:
    _validate(args)
    tfs = _import_tf(args)
    data = common.load_data(args, quiet=args.quiet or args.json)
    images, labels = data.train.images, data.train.labels
    B, need = args.batch_size, (args.steps + args.batches) * args.batch_size
    if need > images.shape[0]:
        raise UsageError(f"--steps {args.steps} and --batches {args.batches} of {B} rows need "
                         f"{need} training images; there are {images.shape[0]}")
    points, order = gc.points(images, labels, steps=args.steps, batch_size=B, seed=args.seed)
    out = {"checks": [], "tf": [], "mistakes": {}}
    say = (lambda *m: None) if args.json else print
    say(f"{data.name}, training split, {args.batches} batch(es) of {B}, float64; order-"
        f"{args.order} central differences, h={args.h:g}; pass: max rel error <= "
        f"{args.threshold:g}")
    say(gc.CHECKS_HEADER)
    ok, worst, batches = True, {"W": 0.0, "b": 0.0}, []
    for label, p in points:
        for k in range(args.batches):
            X, y = gc.batch(images, labels, order, args.steps + k, B)  # unseen by the steps
            batches.append((label, k, p, X, y))
            for name, r in gc.check_model(p, X, y, args).items():
                say(f"{label:<16} {k:>5}  d{name}  {gc.format_report(r)}")
                ok &= r.passed
                worst[name] = max(worst[name], r.max_rel_error)
                out["checks"].append(dict(point=label, batch=k, param=name,
                                          **gc.report_json(r)))
    if tfs is not None:
        say(gc.TF_HEADER)
        for label, k, p, X, y in batches:
            res = gc.check_tf(tfs, p, X, y)
            for dt in ("float64", "float32"):
                line, good = gc.format_tf_row(label, k, dt, res)
                say(line)
                ok &= good
            out["tf"] += [dict(point=label, batch=k, dtype=dt, path=path, **r)
                          for (dt, path), r in res.items()]
    if args.demo_mistakes:
        label, p = points[-1]
        rows, ref = gc.check_mistakes(p, *gc.batch(images, labels, order, args.steps, B), args)
        say(f"deliberate mistakes ({label}, batch 0), max rel error dW / db; each must be "
            f"flagged:")
        say(gc.MISTAKES_HEADER)
        for name, row in rows.items():
            say(gc.format_mistake_row(name, row))
        say(gc.format_reference_row(ref))
        out.update(gc.mistakes_json(rows, ref))
        ok &= ref["W"].passed and ref["b"].passed and out["mistakes_all_flagged"]
    out.update(passed=bool(ok), max_rel_error_W=worst["W"], max_rel_error_b=worst["b"],
               threshold=args.threshold)
    if args.json:
        print(json.dumps(out, indent=1, default=float))
    else:
        say(gc.format_verdict(out, tf=tfs is not None, mistakes=args.demo_mistakes))
    return 0 if out["passed"] else 1
