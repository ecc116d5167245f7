"""softmax-parity compare: NumPy and TensorFlow trained in lockstep, the project's main job."""
from __future__ import annotations

import contextlib
import dataclasses
import statistics

from numpy_softmax.tolerances import COMPARE, COMPARE_NAMES, REASONS, Tolerances

from .. import output, runrecord
from ..errors import UsageError
from ..versions import blas_info, versions
from . import common


def register(sub) -> None:
    p = sub.add_parser("compare", help="train NumPy and TensorFlow in lockstep and compare "
                       "them epoch by epoch (the main job)",
                       description="Train the NumPy reference and a TensorFlow backend from the "
                                   "same initial parameters on the same batches, epoch by "
                                   "epoch, and print how far they drift apart: per epoch both "
                                   "mean losses, max |W_numpy - W_tf|, both validation "
                                   "accuracies and timings; at the end both test accuracies, "
                                   "the differing test predictions and a verdict against the "
                                   "tolerances (numpy_softmax/tolerances.py). Exit status 1 "
                                   "when a tolerance is broken.")
    p.add_argument("--tf", choices=["tf-graph", "tf-function"], default="tf-graph",
                   help="the TF backend: tf-graph (the seed's TF1 program via tf.compat.v1, "
                        "default) or tf-function (tf.function + GradientTape)")
    common.add_config_args(p)
    common.add_data_args(p)
    p.add_argument("--tol", metavar="NAME=VALUE", action="append", default=[],
                   help="override one tolerance for this run (repeatable); names: "
                        + ", ".join(COMPARE_NAMES))
    p.add_argument("--out", metavar="DIR", help="write run.json (config, both histories, "
                   "per-epoch divergence, verdict, versions), params-numpy.npz and "
                   "params-<tf>.npz here")
    p.add_argument("--logdir", metavar="DIR", help="write TensorBoard event files here, one "
                   "run folder per backend (DIR/numpy, DIR/<tf>); view with "
                   "`tensorboard --logdir DIR`")
    p.add_argument("--blas-threads", type=int, default=1, metavar="N",
                   help="BLAS threads for the NumPy side (default 1: a 128x784x10 GEMM gains "
                        "nothing from threads, and on a busy machine spinning OpenBLAS threads "
                        "slow NumPy's epochs down many times over; 0 = the library's default)")
    p.add_argument("--quiet", action="store_true", help="print only the final summary")
    p.set_defaults(func=run)


def parse_tols(items) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"--tol {item}: expected NAME=VALUE, e.g. --tol W_rel=1e-6")
        out[name.strip()] = value.strip()
    return out


def tolerances_for(dtype: str, overrides: dict[str, str] | None = None) -> Tolerances:
    """The compare tolerances of `dtype`, with NAME=VALUE overrides (strings, from --tol)."""
    changes = {}
    for name, text in (overrides or {}).items():
        if name not in COMPARE_NAMES:
            raise UsageError(f"unknown tolerance {name!r}; choose one of "
                             f"{', '.join(COMPARE_NAMES)}")
        try:
            value = int(text) if name == "test_predictions" else float(text)
        except ValueError:
            raise UsageError(f"tolerance {name} needs a number, got {text!r}") from None
        if not value >= 0:
            raise UsageError(f"tolerance {name} must be >= 0, got {text!r}")
        changes[name] = value
    return dataclasses.replace(COMPARE[dtype], **changes)


def tolerances_record(tol: Tolerances, dtype: str) -> dict:
    """name -> {"limit", "reason"}, for the run record."""
    return {name: {"limit": getattr(tol, name), "reason": REASONS[dtype][name]}
            for name in COMPARE_NAMES}


def _table(tf_name: str):
    """The per-epoch table: header line and a row formatter."""
    w = max(len(tf_name), 8)
    head = (f"{'epoch':>5}  {'loss numpy':>12}  {'loss ' + tf_name:>{w + 7}}  {'loss rel':>8}  "
            f"{'max|dW|':>8}  {'dW rel':>8}  {'val numpy':>9}  {'val ' + tf_name:>{w + 4}}  "
            f"{'s numpy':>7}  {'s ' + tf_name:>{w + 2}}")

    def row(epoch, recs, div):
        a, b = recs["numpy"], recs[tf_name]
        va = f"{a.val_accuracy:.4f}" if a.val_accuracy is not None else "-"
        vb = f"{b.val_accuracy:.4f}" if b.val_accuracy is not None else "-"
        return (f"{epoch:>5}  {a.loss:>12.9f}  {b.loss:>{w + 7}.9f}  {div.loss_rel:>8.1e}  "
                f"{div.W_max_abs:>8.1e}  {div.W_max_rel:>8.1e}  {va:>9}  {vb:>{w + 4}}  "
                f"{a.seconds:>7.2f}  {b.seconds:>{w + 2}.2f}")
    return head, row


def blas_threads(n: int):
    """A context limiting the BLAS thread pools to n threads (0: leave them alone). Needs
    threadpoolctl; without it the limit is skipped (the run record's "blas" shows the count)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n if n > 0 else None, user_api="blas")


def compare_record(*, config, data, result, tf_name, tol, checks, created, blas) -> dict:
    """The JSON run record of one compare, in the style of runrecord.train_record."""
    def final(name):
        p = result.predictions[name]
        return {"train_loss": result.history[name][-1].loss if result.history[name] else None,
                "val_accuracy": (result.history[name][-1].val_accuracy
                                 if result.history[name] else None),
                "test_accuracy": result.test_accuracy[name],
                "test_errors": int((p != data.test.labels).sum()),
                "median_epoch_seconds": (statistics.median(r.seconds for r in
                                                           result.history[name])
                                         if result.history[name] else None)}
    return {
        "kind": "compare",
        "created": created,
        "backends": ["numpy", tf_name],
        "config": config.to_dict(),
        "data": data.describe(),
        "history": {n: runrecord.history_dicts(result.history[n]) for n in ("numpy", tf_name)},
        "divergence": [vars(d) for d in result.divergence[tf_name]],
        "final": {"numpy": final("numpy"), tf_name: final(tf_name),
                  "differing_test_predictions": result.differing(tf_name),
                  "test_images": len(data.test)},
        "tolerances": tolerances_record(tol, config.dtype),
        "verdict": {"passed": all(c.ok for c in checks),
                    "checks": [vars(c) for c in checks]},
        "timing": {"total_seconds": result.total_seconds},
        "versions": versions(),
        "blas": blas,
    }


def run(args) -> int:
    config = common.config_from_args(args)
    if args.blas_threads < 0:
        raise UsageError(f"--blas-threads must be >= 0, got {args.blas_threads}")
    tol = tolerances_for(config.dtype, parse_tols(args.tol))
    out = output.check_out_dir(args.out) if args.out else None
    if args.logdir is not None:
        output.check_out_dir(args.logdir, "--logdir")
    from .. import compare  # imports TF on first use: after the arguments are checked
    data = common.load_data(args, quiet=args.quiet)
    tf_name = args.tf
    output.say(args, f"{data.name}: {len(data.train)} train, {len(data.validation)} validation, "
                     f"{len(data.test)} test images ({data.source})")
    output.say(args, f"numpy vs {tf_name}, {config.dtype}, {config.epochs} epochs, batch "
                     f"{config.batch_size}, lr {config.lr:g}, seed {config.seed}: same initial "
                     "parameters, same batch order")
    head, row = _table(tf_name)
    output.say(args, head)
    bar = output.progress(args, "epoch 0", 0)

    def on_step(name, epoch, step, n_steps):
        if step == 0:
            bar.reset(total=n_steps)
            bar.set_description(f"epoch {epoch} {name}")
        bar.update(1)

    def on_epoch(epoch, recs, divs):
        bar.clear()
        output.say(args, row(epoch, recs, divs[tf_name]))

    try:
        with blas_threads(args.blas_threads):
            blas = blas_info()
            result = compare.lockstep(data, config, (tf_name,), logdir=args.logdir,
                                      on_step=on_step, on_epoch=on_epoch)
    finally:
        bar.close()
    checks = compare.verdict(result, tf_name, tol)
    acc_np, acc_tf = result.test_accuracy["numpy"], result.test_accuracy[tf_name]
    output.say(args, f"total time {result.total_seconds:.1f} s")
    print(f"test accuracy (all {len(data.test)} test images): numpy {acc_np:.4f}, "
          f"{tf_name} {acc_tf:.4f}; differing predictions: {result.differing(tf_name)}")
    output.say(args, f"verdict against the {config.dtype} tolerances "
                     "(numpy_softmax/tolerances.py):")
    for c in checks:
        value = f"{c.value:d}" if isinstance(c.value, int) else f"{c.value:.2e}"
        limit = f"{c.limit:d}" if isinstance(c.limit, int) else f"{c.limit:.0e}"
        output.say(args, f"  {c.name:<17} {value:>9} <= {limit:<6} {'ok' if c.ok else 'BROKEN'}")
    passed = all(c.ok for c in checks)
    broken = [c.name for c in checks if not c.ok]
    print(f"PASS: numpy and {tf_name} agree within the {config.dtype} tolerances" if passed
          else f"FAIL: numpy and {tf_name} differ beyond the {config.dtype} tolerances: "
               f"{', '.join(broken)}")
    if out:
        rec = compare_record(config=config, data=data, result=result, tf_name=tf_name, tol=tol,
                             checks=checks, created=output.now_iso(), blas=blas)
        runrecord.write_run(out, rec, {n: result.params[n] for n in ("numpy", tf_name)})
        output.say(args, f"run record: {out}/run.json")
    return 0 if passed else 1
