"""softmax-parity compare: NumPy and TensorFlow trained in lockstep, the project's main job."""
from __future__ import annotations

from numpy_softmax.threads import blas_threads
from numpy_softmax.tolerances import COMPARE_NAMES

from .. import backends, distributed, output, runrecord
from ..errors import UsageError
from ..versions import blas_info
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
    p.add_argument("--tf", choices=list(backends.TF_STEPPERS), default="tf-graph",
                   help="the TF backend: tf-graph (the seed's TF1 program via tf.compat.v1, "
                        "default), tf-function (tf.function + GradientTape) or keras (a Keras "
                        "Sequential model, SGD, train_on_batch)")
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
    distributed.add_args(p, "--tf")
    p.set_defaults(func=run)


def parse_tols(items) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"--tol {item}: expected NAME=VALUE, e.g. --tol W_rel=1e-6")
        out[name.strip()] = value.strip()
    return out


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


def run(args) -> int:
    if distributed.apply(args, args.tf):  # first: before anything starts TF
        from .. import workers
        return workers.launch(args)
    config = common.config_from_args(args)
    if args.blas_threads < 0:
        raise UsageError(f"--blas-threads must be >= 0, got {args.blas_threads}")
    from .. import compare  # imports TF on first use: after the arguments are checked
    tol = compare.tolerances(config.dtype, parse_tols(args.tol))
    out = output.check_out_dir(args.out) if args.out else None
    if args.logdir is not None:
        output.check_out_dir(args.logdir, "--logdir")
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
        with blas_threads(args.blas_threads or None):
            blas = blas_info()
            result = compare.lockstep(data, config, (tf_name,), logdir=args.logdir,
                                      on_step=on_step, on_epoch=on_epoch)
    finally:
        bar.close()
    checks = compare.verdict(result, tf_name, tol) + [compare.ratio_check(result, tf_name)]
    ratio = (f"first step: ||W1_{tf_name} - W0|| / ||W1_numpy - W0|| = "
             f"{compare.update_ratio(result, tf_name):.6f} (1 = the same SGD step)")
    if checks[-1].ok:
        output.say(args, ratio)
    else:
        print(ratio)  # the measured ratio is shown even with --quiet
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
        rec = runrecord.compare_record(config=config, data=data, result=result,
                                       tf_name=tf_name, tol=tol, checks=checks,
                                       created=output.now_iso(), blas=blas)
        runrecord.write_run(out, rec, {n: result.params[n] for n in ("numpy", tf_name)})
        output.say(args, f"run record: {out}/run.json")
    return 0 if passed else 1
